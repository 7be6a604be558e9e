/* A stand-in network helper for test_pam_network_helper: appends "run" to runs.log in its
 * own folder, then runs the real helper named in real-helper there, with its arguments.
 * A program, not a shell script: the module runs the helper through a close-on-exec
 * descriptor (execveat), and a script's interpreter could not open that descriptor. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char dir[4096], path[4200], real[4096];
    const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
    FILE *f;

    if (!slash || (size_t)(slash - argv[0]) >= sizeof(dir))
        return 120;
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - argv[0]), argv[0]);
    snprintf(path, sizeof(path), "%s/real-helper", dir);
    f = fopen(path, "re");
    if (!f || !fgets(real, sizeof(real), f))
        return 121;
    fclose(f);
    real[strcspn(real, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s/runs.log", dir);
    f = fopen(path, "ae");
    if (!f)
        return 122;
    fputs("run\n", f);
    fclose(f);
    argv[0] = real;
    execv(real, argv);
    return 123;
}
