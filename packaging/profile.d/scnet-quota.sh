# /etc/profile.d/scnet-quota.sh: pam_scnet_quota's login-shell gate (deny_scope = tty).
#
# sshd opens the PAM session before any terminal exists, so the module cannot tell an
# interactive login from scp, sftp or `ssh host cmd`. With deny_scope = tty it lets a user
# over `deny` in without a word and leaves the refusal in SCNET_QUOTA_REFUSAL, which sshd
# copies from the PAM environment into the session. Here an interactive login shell on a
# terminal shows it on stderr and ends, so the session ends; scp, sftp and `ssh host cmd`
# start no login shell and never read this file. Without the variable it does nothing.
#
# Read by sh-compatible login shells through /etc/profile (bash, dash, ksh; zsh only where
# its zprofile reads /etc/profile). A user can skip it (`ssh -t host bash --noprofile`),
# as they can run any command with `ssh host cmd` under deny_scope = tty anyway: see
# pam_scnet_quota(8). It sets no variables of its own.
if [ -n "${SCNET_QUOTA_REFUSAL-}" ] && [ -t 0 ]; then
    case $- in
    *i*)
        printf '%s\n' "$SCNET_QUOTA_REFUSAL" >&2
        exit 1
        ;;
    esac
fi
