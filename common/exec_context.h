/* The SELinux context the network helper starts in: the module's policy decides, not an
 * exec context that pam_selinux left behind in the login process. */
#ifndef SCNET_EXEC_CONTEXT_H
#define SCNET_EXEC_CONTEXT_H

/* In a single-threaded child between fork and exec: when SELinux is enabled and an exec
 * context is set, clear it, so the policy's type_transition names the helper's domain.
 * Async-signal-safe; does nothing when SELinux is off or the kernel refuses (the exec
 * then goes on as it would have without this call). */
void exec_context_reset(void);

#endif
