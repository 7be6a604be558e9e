/* SELinux file labels without libselinux (see selinux_label.h): the label is the file's
 * security.selinux attribute, "user:role:type[:level]", NUL-terminated or not. */
#include "selinux_label.h"

#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

bool selinux_enabled(void)
{
    /* selinuxfs is registered by the kernel only when SELinux is enabled. */
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

bool selinux_file_type(const char *path, char *type, size_t typelen)
{
    char label[256];
    const char *start, *end;
    ssize_t got = getxattr(path, "security.selinux", label, sizeof(label) - 1);

    if (got <= 0 || typelen == 0)
        return false;
    label[got] = '\0';
    start = strchr(label, ':');
    start = start ? strchr(start + 1, ':') : NULL;
    if (!start)
        return false;
    start++;
    end = strchr(start, ':');
    if (!end)
        end = start + strlen(start);
    if (end == start || (size_t)(end - start) >= typelen)
        return false;
    memcpy(type, start, (size_t)(end - start));
    type[end - start] = '\0';
    return true;
}
