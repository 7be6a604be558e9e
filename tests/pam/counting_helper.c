/* A stand-in network helper for test_pam_network_helper: appends "run" to runs.log in its
 * own folder, then runs the real helper named in real-helper there, with its arguments and
 * descriptors. When swap-ca is there too (two lines, from and to), it first renames from over
 * to: the attacker who replaces the CA file after the caller checked it, before the helper
 * reads it.
 * A program, not a shell script: the module runs the helper through a close-on-exec
 * descriptor (execveat), and a script's interpreter could not open that descriptor. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Rename the first path in swap-ca over the second, when swap-ca exists; false on a failure. */
static int swap_ca(const char *dir)
{
    char path[4200], from[4096], to[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/swap-ca", dir);
    f = fopen(path, "re");
    if (!f)
        return 1;
    if (!fgets(from, sizeof(from), f) || !fgets(to, sizeof(to), f)) {
        fclose(f);
        return 0;
    }
    fclose(f);
    from[strcspn(from, "\n")] = '\0';
    to[strcspn(to, "\n")] = '\0';
    return rename(from, to) == 0;
}

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
    if (!swap_ca(dir))
        return 124;
    argv[0] = real;
    execv(real, argv);
    return 123;
}
