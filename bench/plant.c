/* Plants cache entries for the refresh benchmark with the project's own cache writer:
 *     plant CACHE_DIR PREFIX COUNT AGE_S
 * writes PREFIX1..PREFIXCOUNT, each an answer fetched AGE_S seconds ago by a user seen at
 * login just now (the lock file's mtime, as the module stamps it). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "answer_text.h"
#include "cache.h"

int main(int argc, char **argv)
{
    char err[256] = "", user[64], body[512];
    long count, age;
    int dirfd, rc = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: plant CACHE_DIR PREFIX COUNT AGE_S\n");
        return 2;
    }
    count = strtol(argv[3], NULL, 10);
    age = strtol(argv[4], NULL, 10);
    dirfd = cache_dir_open(argv[1], geteuid(), err, sizeof(err));
    if (dirfd < 0) {
        fprintf(stderr, "plant: %s\n", err);
        return 1;
    }
    for (long i = 1; i <= count; i++) {
        struct quota_reply reply = {0};
        struct strbuf text = {0};
        bool ok;
        int n;

        snprintf(user, sizeof(user), "%s%ld", argv[2], i);
        n = snprintf(body, sizeof(body),
                     "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":\"%s\","
                     "\"path\":\"/public/home/%s\",\"threshold\":700,\"usage\":42.0}]}",
                     user, user);
        /* What a login stores: the answer as the helper reads it (answer_text.h). */
        ok = quota_reply_parse(body, (size_t)n, &reply, err, sizeof(err)) == REPLY_OK &&
             answer_text_put_quota(&text, REPLY_OK, &reply, NULL);
        quota_reply_free(&reply);
        if (!ok)
            snprintf(err, sizeof(err), "cannot write the answer");
        ok = ok && cache_write(dirfd, user, text.data, text.len, (int64_t)time(NULL) - age, err,
                               sizeof(err));
        strbuf_free(&text);
        if (!ok || !cache_mark_seen(dirfd, user, geteuid(), 0, err, sizeof(err))) {
            fprintf(stderr, "plant: %s: %s\n", user, err);
            goto out;
        }
    }
    rc = 0;
out:
    close(dirfd);
    return rc;
}
