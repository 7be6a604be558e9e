/* The benchmark's "client floor": a bare process that makes the module's quota request and
 * nothing else. It builds the same URL (quota_url_build) and makes the same request
 * (scnet_quota_get, common/pipeline.c) through http_perform (common/http.c), which spawns
 * scnet-quota-fetch, writes the request frame (common/fetch_wire.c), reads the reply and reaps
 * the helper. No libpam, no config file, no cache, no policy, no text: what a cold login
 * costs beyond this is the module's own work.
 *
 *   usage: client_floor HELPER BASE_URL CAFILE TOKEN_FILE USER
 * Prints "status=<HTTP status> bytes=<body length>"; exit 0 on HTTP 200, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http.h"
#include "pipeline.h"
#include "url.h"

#define FLOOR_TIMEOUT_MS 3000 /* as the benchmark's cold cases */

static bool read_token(const char *path, char *token, size_t len)
{
    FILE *f = fopen(path, "re");
    bool ok = f && fgets(token, (int)len, f) != NULL;

    if (f)
        fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
    return ok && token[0] != '\0';
}

int main(int argc, char **argv)
{
    struct http_response resp = {0};
    struct scnet_config cfg = {0};
    enum http_result hr;
    char token[4096] = "", err[256] = "";
    char *url = NULL;
    int rc = 1;

    if (argc != 6) {
        fprintf(stderr, "usage: client_floor HELPER BASE_URL CAFILE TOKEN_FILE USER\n");
        return 2;
    }
    if (!read_token(argv[4], token, sizeof(token))) {
        fprintf(stderr, "client_floor: cannot read a token from %s\n", argv[4]);
        goto out;
    }
    if (!quota_url_build(argv[2], argv[5], &url, err, sizeof(err))) {
        fprintf(stderr, "client_floor: %s\n", err);
        goto out;
    }
    cfg.helper = argv[1];
    cfg.cafile = argv[3];
    hr = scnet_quota_get(&cfg, NULL, url, token, FLOOR_TIMEOUT_MS, &resp, err, sizeof(err));
    if (hr != HTTP_OK) {
        fprintf(stderr, "client_floor: %s\n", err);
        goto out;
    }
    printf("status=%ld bytes=%zu\n", resp.status, resp.body_len);
    rc = resp.status == 200 ? 0 : 1;
out:
    explicit_bzero(token, sizeof(token));
    http_response_free(&resp);
    free(url);
    return rc;
}
