/* libFuzzer harness: the per-node cache file reader (cache_read), which root runs at every
 * login on files in the cache directory. The input is the whole file, stored for a user name
 * and for a token key; whatever reads back must write and read back unchanged. */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {"alice", "token:aksk:https://api.example:hefei:/etc/c"};
static char dir_path[PATH_MAX];
static int dirfd = -1;

static void remove_dir(void)
{
    char name[128], file[160];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        cache_file_name(keys[i], name, sizeof(name));
        snprintf(file, sizeof(file), "%s.cache", name);
        unlinkat(dirfd, file, 0);
    }
    close(dirfd);
    rmdir(dir_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    char err[256];

    (void)argc;
    (void)argv;
    snprintf(dir_path, sizeof(dir_path), "%s/scnet-fuzz-cache.XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(dir_path) == NULL) {
        perror("mkdtemp");
        abort();
    }
    dirfd = cache_dir_open(dir_path, geteuid(), err, sizeof(err));
    if (dirfd < 0) {
        fprintf(stderr, "cache_dir_open: %s\n", err);
        abort();
    }
    atexit(remove_dir);
    return 0;
}

static void plant(const char *key, const uint8_t *data, size_t size)
{
    char name[128], file[160];
    size_t done = 0;
    int fd;

    cache_file_name(key, name, sizeof(name));
    FUZZ_ASSERT(name[0] != '\0');
    snprintf(file, sizeof(file), "%s.cache", name);
    fd = openat(dirfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    FUZZ_ASSERT(fd >= 0);
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_ASSERT(n > 0);
        done += (size_t)n;
    }
    FUZZ_ASSERT(close(fd) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct cache_entry entry, again;
        char err[512];

        plant(keys[i], data, size);
        memset(err, 'x', sizeof(err));
        if (!cache_read(dirfd, keys[i], geteuid(), &entry, err, sizeof(err))) {
            FUZZ_ASSERT(entry.body == NULL && entry.len == 0);
            fuzz_check_terminated(err, sizeof(err));
            continue;
        }
        FUZZ_ASSERT(entry.body != NULL && entry.body[entry.len] == '\0');
        FUZZ_ASSERT(entry.len <= 65536 && entry.len < size);
        FUZZ_ASSERT(entry.fetched_at >= 0 && entry.fetched_at <= (int64_t)time(NULL) + 300);
        /* What was read is what the writer would have written. */
        FUZZ_ASSERT(
            cache_write(dirfd, keys[i], entry.body, entry.len, entry.fetched_at, err, sizeof(err)));
        FUZZ_ASSERT(cache_read(dirfd, keys[i], geteuid(), &again, err, sizeof(err)));
        FUZZ_ASSERT(again.len == entry.len && again.fetched_at == entry.fetched_at &&
                    memcmp(again.body, entry.body, entry.len) == 0);
        cache_entry_free(&again);
        cache_entry_free(&entry);
    }
    return 0;
}
