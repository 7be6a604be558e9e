/* Process launcher for bench.py: fork/exec login processes, reap them with wait4, time them
 * with CLOCK_MONOTONIC and report their rusage.
 *
 * Why a separate C program: on Linux a child's ru_maxrss includes the high-water RSS of the
 * address space it had before exec, i.e. a copy of its parent's. Children forked by the
 * Python interpreter (10+ MB) would all report Python's RSS. This launcher is a few hundred
 * KiB, so the peak RSS it reports is the login process's own (and that of the descendants
 * it waited for, e.g. pam_exec's script, curl and jq).
 *
 * Usage: runner [-e NAME=VALUE]...     (variables added to every child's environment)
 * stdin, one batch at a time:
 *     BATCH <seq|par> <n>
 *     <output file>\t<program>\t<arg1>\t...      (n lines)
 * seq: one after another; par: all n started at once, then reaped as they end.
 * stdout, per job in input order, then "END":
 *     <index> <pid> <wait status> <elapsed ns> <ru_maxrss KiB> <user us> <sys us>
 * The child's stdout and stderr go to its output file, stdin is /dev/null. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 256
#define MAX_ARGS 32
#define MAX_ENV 512

struct job {
    char *line;
    char *out;
    char *argv[MAX_ARGS + 1];
    pid_t pid;
    int status;
    int64_t start_ns, end_ns;
    struct rusage ru;
};

static char *child_env[MAX_ENV + 1];

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "runner: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void build_env(int argc, char **argv)
{
    extern char **environ;
    size_t n = 0;

    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || strcmp(argv[i], "-e") != 0 || !strchr(argv[i + 1], '=')) {
            fprintf(stderr, "usage: runner [-e NAME=VALUE]...\n");
            exit(2);
        }
    }
    /* The given variables override inherited ones of the same name. */
    for (char **e = environ; *e && n < MAX_ENV; e++) {
        size_t klen = strcspn(*e, "=");
        int overridden = 0;
        for (int i = 2; i < argc; i += 2)
            if (strncmp(argv[i], *e, klen) == 0 && argv[i][klen] == '=')
                overridden = 1;
        if (!overridden)
            child_env[n++] = *e;
    }
    for (int i = 2; i < argc && n < MAX_ENV; i += 2)
        child_env[n++] = argv[i];
    child_env[n] = NULL;
}

static void parse_job(struct job *j, char *line)
{
    size_t n = 0;
    char *save = NULL, *tok;

    line[strcspn(line, "\n")] = '\0';
    j->line = line;
    j->out = strtok_r(line, "\t", &save);
    while ((tok = strtok_r(NULL, "\t", &save)) && n < MAX_ARGS)
        j->argv[n++] = tok;
    j->argv[n] = NULL;
    if (!j->out || n == 0) {
        fprintf(stderr, "runner: bad job line\n");
        exit(2);
    }
}

static void start(struct job *j)
{
    j->start_ns = now_ns();
    j->pid = fork();
    if (j->pid < 0)
        die("fork");
    if (j->pid == 0) {
        int fd = open(j->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0)
            _exit(126);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        close(null);
        execve(j->argv[0], j->argv, child_env);
        _exit(127);
    }
}

static struct job *find(struct job *jobs, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (jobs[i].pid == pid)
            return &jobs[i];
    return NULL;
}

static void reap_one(struct job *jobs, int n)
{
    struct rusage ru;
    int status;
    pid_t pid;
    struct job *j;

    do
        pid = wait4(-1, &status, 0, &ru);
    while (pid < 0 && errno == EINTR);
    if (pid < 0)
        die("wait4");
    j = find(jobs, n, pid);
    if (!j)
        return;
    j->end_ns = now_ns();
    j->status = status;
    j->ru = ru;
}

int main(int argc, char **argv)
{
    static struct job jobs[MAX_JOBS];
    char header[128], mode[8];
    int n;

    build_env(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(header, sizeof(header), stdin)) {
        if (sscanf(header, "BATCH %7s %d", mode, &n) != 2 || n < 1 || n > MAX_JOBS) {
            fprintf(stderr, "runner: bad batch line: %s", header);
            return 2;
        }
        for (int i = 0; i < n; i++) {
            char *line = NULL;
            size_t cap = 0;
            memset(&jobs[i], 0, sizeof(jobs[i]));
            if (getline(&line, &cap, stdin) < 0) {
                fprintf(stderr, "runner: short batch\n");
                return 2;
            }
            parse_job(&jobs[i], line);
        }
        if (strcmp(mode, "par") == 0) {
            for (int i = 0; i < n; i++)
                start(&jobs[i]);
            for (int i = 0; i < n; i++)
                reap_one(jobs, n);
        } else {
            for (int i = 0; i < n; i++) {
                start(&jobs[i]);
                reap_one(&jobs[i], 1);
            }
        }
        for (int i = 0; i < n; i++) {
            struct job *j = &jobs[i];
            printf("%d %d %d %lld %ld %lld %lld\n", i, (int)j->pid, j->status,
                   (long long)(j->end_ns - j->start_ns), j->ru.ru_maxrss,
                   (long long)j->ru.ru_utime.tv_sec * 1000000 + j->ru.ru_utime.tv_usec,
                   (long long)j->ru.ru_stime.tv_sec * 1000000 + j->ru.ru_stime.tv_usec);
            free(j->line);
        }
        printf("END\n");
    }
    return 0;
}
