/* libFuzzer harness: the credentials file parser, in both auth modes. Its values go into
 * HTTP headers and a signed JSON text, so the invariants are about those. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credentials.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A header value: printable ASCII (a space only where allowed), no quote or backslash where
 * it is signed. */
static void check_value(const char *v, bool needed, bool space_ok, bool json)
{
    if (v == NULL) {
        FUZZ_ASSERT(!needed);
        return;
    }
    FUZZ_ASSERT(v[0] != '\0' && strlen(v) <= CREDENTIALS_MAX_VALUE);
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
        FUZZ_ASSERT((*p >= 0x21 && *p <= 0x7e) || (space_ok && *p == ' '));
        FUZZ_ASSERT(!json || (*p != '"' && *p != '\\'));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum scnet_auth modes[] = {SCNET_AUTH_AKSK, SCNET_AUTH_PASSWORD,
                                            SCNET_AUTH_TOKEN_FILE};
    char *text = fuzz_cstring(data, size);

    if (text == NULL)
        return 0;
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        struct credentials creds;
        char err[512];
        bool ok;

        memset(err, 'x', sizeof(err));
        ok = credentials_parse(text, size, "/etc/security/fuzz.credentials", modes[m], &creds, err,
                               sizeof(err));
        if (!ok) {
            FUZZ_ASSERT(creds.user == NULL && creds.access_key == NULL &&
                        creds.secret_key == NULL && creds.password == NULL && creds.org_id == NULL);
            fuzz_check_terminated(err, sizeof(err));
            fuzz_check_no_c0(err, false);
            continue;
        }
        FUZZ_ASSERT(modes[m] != SCNET_AUTH_TOKEN_FILE);
        check_value(creds.user, true, false, true);
        check_value(creds.access_key, modes[m] == SCNET_AUTH_AKSK, false, true);
        check_value(creds.secret_key, modes[m] == SCNET_AUTH_AKSK, false, false);
        check_value(creds.password, modes[m] == SCNET_AUTH_PASSWORD, true, false);
        check_value(creds.org_id, modes[m] == SCNET_AUTH_PASSWORD, false, false);
        credentials_wipe(&creds);
    }
    free(text);
    return 0;
}
