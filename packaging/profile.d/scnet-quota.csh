# /etc/profile.d/scnet-quota.csh: pam_scnet_quota's login-shell gate (deny_scope = tty),
# for csh and tcsh; the same rule as scnet-quota.sh beside it, which explains it.
#
# With deny_scope = tty, sshd sessions of a user over `deny` carry the refusal in
# SCNET_QUOTA_REFUSAL: an interactive login shell on a terminal shows it on stderr and
# ends. scp, sftp and `ssh host cmd` never read this file. Read through /etc/csh.login
# (RHEL, Fedora, SUSE); Debian's tcsh reads /etc/csh/login.d/ instead, where the .deb
# links it (/etc/csh/login.d/scnet-quota.csh). The value may span lines, so printenv prints it, not an expansion.
if ( $?SCNET_QUOTA_REFUSAL && $?prompt ) then
    if ( { test -t 0 } ) then
        printenv SCNET_QUOTA_REFUSAL > /dev/stderr
        exec false
    endif
endif
