/* Plants cache entries for the refresh benchmark with the project's own cache writer:
 *     plant CACHE_DIR PREFIX COUNT AGE_S
 * writes PREFIX1..PREFIXCOUNT, each an answer fetched AGE_S seconds ago by a user seen at
 * login just now (the lock file's mtime, as the module stamps it). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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
        int n;

        snprintf(user, sizeof(user), "%s%ld", argv[2], i);
        n = snprintf(body, sizeof(body),
                     "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":\"%s\","
                     "\"path\":\"/public/home/%s\",\"threshold\":700,\"usage\":42.0}]}",
                     user, user);
        if (!cache_write(dirfd, user, body, (size_t)n, (int64_t)time(NULL) - age, err,
                         sizeof(err)) ||
            !cache_mark_seen(dirfd, user, geteuid(), 0, err, sizeof(err))) {
            fprintf(stderr, "plant: %s: %s\n", user, err);
            goto out;
        }
    }
    rc = 0;
out:
    close(dirfd);
    return rc;
}
