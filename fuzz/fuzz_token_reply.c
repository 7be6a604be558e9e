/* libFuzzer harness: the token service's reply parser (token_reply_pick) for each way a
 * region can be chosen, and the JWT expiry reader on whatever token it picks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "jwt.h"
#include "token.h"
#include "token_service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const clusters[] = {NULL, "", "hefei", "11250", "0", "ac"};

    for (size_t c = 0; c < sizeof(clusters) / sizeof(clusters[0]); c++) {
        char *token = (char *)1; /* must be reset by the parser */
        char region[128], err[512];
        enum token_pick pick;

        memset(region, 'x', sizeof(region));
        memset(err, 'x', sizeof(err));
        pick = token_reply_pick((const char *)data, size, clusters[c], &token, region,
                                sizeof(region), err, sizeof(err));
        fuzz_check_terminated(region, sizeof(region));
        if (pick != TOKEN_PICK_OK) {
            FUZZ_ASSERT(pick == TOKEN_PICK_REFUSED || pick == TOKEN_PICK_MALFORMED);
            FUZZ_ASSERT(token == NULL);
            fuzz_check_terminated(err, sizeof(err));
            /* A log line: server text in it has been sanitised. */
            fuzz_check_no_c0(err, false);
            continue;
        }
        /* It goes into an HTTP header at every login. */
        FUZZ_ASSERT(token != NULL);
        FUZZ_ASSERT(strlen(token) >= 1 && strlen(token) <= TOKEN_MAX_LEN);
        for (const unsigned char *p = (const unsigned char *)token; *p != '\0'; p++)
            FUZZ_ASSERT(*p >= 0x21 && *p <= 0x7e);
        fuzz_check_no_c0(region, false);
        {
            int64_t expire = -1;
            char why[128];
            bool ok = jwt_expire_ms(token, &expire, why, sizeof(why));
            FUZZ_ASSERT(ok ? expire >= 1 && expire <= 1000000000000000LL : expire == 0);
        }
        token_free(token);
    }
    return 0;
}
