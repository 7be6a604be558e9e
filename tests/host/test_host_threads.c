/* A threaded PAM host (display managers, Python and Java PAM callers are threaded): while the
 * main thread opens sessions on a cold cache, other threads read and write the environment.
 * The module must never touch environ: PATH is always there, each thread's own variable
 * keeps the value it last set, and the environment has the same entries at the end.
 * Built with ASan by scripts/ci-sanitizers.sh, where a swapped or freed environ array also
 * shows as a heap-use-after-free. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "host_support.h"

#define READERS 2
#define WRITERS 2
#define LOGINS 10

extern char **environ;

struct worker {
    pthread_t thread;
    int index;
    const volatile int *stop;
    unsigned long rounds;
    unsigned long path_missing; /* getenv("PATH") returned NULL */
    unsigned long path_changed; /* ... or something else than at the start */
    unsigned long own_lost;     /* a writer's own variable did not read back as set */
};

static char path_at_start[4096];

/* Busy threads on two cores would starve the helper processes the logins start: pause a
 * little every PACE_ROUNDS rounds (millions of reads still happen during the logins). */
#define PACE_ROUNDS 32

static void pace(unsigned long rounds)
{
    static const struct timespec pause_ns = {0, 100000};

    if (rounds % PACE_ROUNDS == 0)
        nanosleep(&pause_ns, NULL);
}

static size_t environ_size(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    return n;
}

static void *reader(void *arg)
{
    struct worker *w = arg;

    while (!*w->stop) {
        const char *path = getenv("PATH");
        if (!path)
            w->path_missing++;
        else if (strcmp(path, path_at_start) != 0)
            w->path_changed++;
        w->rounds++;
        pace(w->rounds);
    }
    return NULL;
}

/* Overwrites a variable that exists already: glibc then never reallocates the array, so the
 * host's own getenv/setenv pairs are safe with each other; only a module that swaps environ
 * can make the value vanish. */
static void *writer(void *arg)
{
    struct worker *w = arg;
    char name[32], value[32];
    const char *seen;

    snprintf(name, sizeof(name), "SCNET_HOST_WRITER_%d", w->index);
    while (!*w->stop) {
        snprintf(value, sizeof(value), "%lu", w->rounds);
        if (setenv(name, value, 1) != 0)
            w->own_lost++;
        seen = getenv(name);
        if (!seen || strcmp(seen, value) != 0)
            w->own_lost++;
        w->rounds++;
        pace(w->rounds);
    }
    return NULL;
}

static void test_environment_intact_while_sessions_open(void **state)
{
    struct worker workers[READERS + WRITERS];
    volatile int stop = 0;
    struct host h;
    struct host_session s;
    size_t size_before, size_after;
    int banners = 0;

    (void)state;
    host_setup(&h);
    host_write_conf(&h, "cache_ttl = 0\nstale_ttl = 0\ntimeout = 5\n");
    assert_non_null(getenv("PATH"));
    snprintf(path_at_start, sizeof(path_at_start), "%s", getenv("PATH"));
    for (int i = 0; i < WRITERS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "SCNET_HOST_WRITER_%d", READERS + i);
        assert_int_equal(setenv(name, "start", 1), 0);
    }
    size_before = environ_size();

    for (int i = 0; i < READERS + WRITERS; i++) {
        memset(&workers[i], 0, sizeof(workers[i]));
        workers[i].index = i;
        workers[i].stop = &stop;
        assert_int_equal(
            pthread_create(&workers[i].thread, NULL, i < READERS ? reader : writer, &workers[i]),
            0);
    }
    for (int i = 0; i < LOGINS; i++) {
        host_login(&h, "near", &s);
        assert_int_equal(s.rc, PAM_SUCCESS);
        if (strstr(s.info, "/public/home/near  651.0 GB of 700.0 GB  93.0%"))
            banners++;
    }
    stop = 1;
    for (int i = 0; i < READERS + WRITERS; i++)
        assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
    size_after = environ_size();

    for (int i = 0; i < READERS + WRITERS; i++)
        print_message("%s %d: %lu rounds, PATH missing %lu, PATH changed %lu, own value lost %lu\n",
                      i < READERS ? "reader" : "writer", i, workers[i].rounds,
                      workers[i].path_missing, workers[i].path_changed, workers[i].own_lost);
    print_message("environment: %zu entries before, %zu after; %d of %d logins showed the banner\n",
                  size_before, size_after, banners, LOGINS);
    /* Every login really went to the API (cold cache) and showed the answer. */
    assert_int_equal(banners, LOGINS);
    for (int i = 0; i < READERS + WRITERS; i++) {
        assert_true(workers[i].rounds > 0);
        assert_int_equal(workers[i].path_missing, 0);
        assert_int_equal(workers[i].path_changed, 0);
        assert_int_equal(workers[i].own_lost, 0);
    }
    assert_int_equal(size_after, size_before);
    assert_string_equal(getenv("PATH"), path_at_start);
    host_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_environment_intact_while_sessions_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
