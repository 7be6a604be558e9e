/* SELinux file labels read without libselinux, for the admin command's advice. */
#ifndef SCNET_SELINUX_LABEL_H
#define SCNET_SELINUX_LABEL_H

#include <stdbool.h>
#include <stddef.h>

/* True when SELinux is enabled on this host (selinuxfs is there). */
bool selinux_enabled(void);

/* The type of path's SELinux label (its security.selinux attribute, the link's target's),
 * "etc_t" of "system_u:object_r:etc_t:s0", into type; false when the file has no label or
 * it cannot be read. */
bool selinux_file_type(const char *path, char *type, size_t typelen);

#endif
