/* libFuzzer harness: reading expireTime from a token (jwt_expire_ms). The input is the token
 * text as it would come out of the token service or the token cache. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *token = fuzz_cstring(data, size);
    char why[128];
    int64_t expire = -1;
    bool ok;

    if (token == NULL)
        return 0;
    memset(why, 'x', sizeof(why));
    ok = jwt_expire_ms(token, &expire, why, sizeof(why));
    if (ok) {
        FUZZ_ASSERT(expire >= 1 && expire <= 1000000000000000LL);
    } else {
        FUZZ_ASSERT(expire == 0);
        fuzz_check_terminated(why, sizeof(why));
        fuzz_check_no_c0(why, false);
    }
    free(token);
    return 0;
}
