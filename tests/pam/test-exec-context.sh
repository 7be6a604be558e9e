#!/bin/bash
# The helper's exec context: the child the module forks clears the SELinux exec context that
# `pam_selinux.so open` leaves in the login process, before it runs the helper
# (common/exec_context.c). Traced with strace while pamtester opens a real session (real
# libpam through pam_wrapper, the simulator over HTTPS, a cold cache so the helper runs):
#   - scnet_execctx_fake: the module built with its SELinux paths in FAKE_DIR (SELinux is not
#     enabled on the build host): "enabled", an exec context set, no thread-self (an old
#     kernel): the child reads the context, writes the empty value, then execs the helper;
#     with no context set it writes nothing;
#   - scnet_execctx_real: the module as installed: on a host without SELinux it never touches
#     attr/exec and the login works as before.
# usage: test-exec-context.sh PAM_RUN_DIR FAKE_DIR   (environment: ctest's PAM_TEST_ENV)
set -u
run=$1
fake=$2
say() { echo "$*"; }
. "$(dirname "$0")/../support/assert.sh"
command -v strace >/dev/null || { say "strace missing (scripts/install-deps.sh)"; exit 1; }
helper=${SCNET_TEST_HELPER:?set by CMake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
preload=$LD_PRELOAD
# Only pamtester gets the wrappers (login passes them): the script's own grep, awk and
# python3 would each start pam_wrapper too, and two of them at once (a pipeline) race for
# its /tmp/pam.X folder (pam_wrapper 1.1.3: "Failed to create pam_wrapper config dir ...
# File exists"), failing a check of the trace for no fault of the module.
unset LD_PRELOAD

login() { # service: a cold-cache session open for "near" (93% full: a warning), traced
    rm -rf "$work/cache"
    (umask 077 && printf 'url = https://127.0.0.1:%s\ntoken_file = %s/token\ncafile = %s/certs/ca.pem\ncache_dir = %s/cache\nlang = en\ntimeout = 10\noffline_retry = 0\nhelper = %s\n' \
        "$https_port" "$run" "$run" "$work" "$helper" >"$run/execctx.conf")
    env -u LD_PRELOAD strace -f -qq -s 200 -o "$work/trace" -e trace=%file,read,write \
        env LD_PRELOAD="$preload" pamtester "$1" near open_session >"$work/out" 2>"$work/err"
    echo $? >"$work/rc"
}
logged_in() { [ "$(cat "$work/rc")" = 0 ] && grep -q "quota" "$work/out"; }
# The pid that exec'd the helper, and whether in that pid's lines PATTERN (an extended regex)
# comes before the execve.
# The helper is run through its checked descriptor (execveat(fd, "", ...)), or by path where
# the kernel lacks execveat: its argv, the same either way, marks the exec.
exec_mark="[\"$helper\", \"--caller-pid="
helper_pid() { grep -F -- "$exec_mark" "$work/trace" | awk '{print $1; exit}'; }
before_exec() {
    local pid
    pid=$(helper_pid)
    [ -n "$pid" ] && pat=$1 exe="$exec_mark" awk -v pid="$pid" '
        $1 != pid { next }
        index($0, ENVIRON["exe"]) { found = 1; exit }
        $0 ~ ENVIRON["pat"] { seen = 1 }
        END { exit !(found && seen) }' "$work/trace"
}
not_in_trace() { ! grep -qE -- "$1" "$work/trace"; }
explain() { show_file "pamtester stdout" "$work/out"; show_file "pamtester stderr" "$work/err"; show_file "strace, the child up to its execve" <(grep -E "^$(helper_pid) " "$work/trace" | awk -v m="$exec_mark" '{ print } index($0, m) { exit }' | tail -15); }

mkdir -p "$fake"
: >"$fake/enforce"
rm -f "$fake/thread-self-attr-exec"
echo "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023" >"$fake/self-attr-exec"
login scnet_execctx_fake
check "fake SELinux, context set: the login works and shows the warning" logged_in || explain
check "the helper ran in a child of the login process" [ -n "$(helper_pid)" ] || explain
check "the child looked for thread-self's attribute first" \
    before_exec "openat\\(AT_FDCWD, \"$fake/thread-self-attr-exec\", O_RDONLY\\|O_CLOEXEC\\) = -1 ENOENT" || explain
check "then read the process's attribute (one thread after fork)" \
    before_exec "openat\\(AT_FDCWD, \"$fake/self-attr-exec\", O_RDONLY\\|O_CLOEXEC\\) = [0-9]+" || explain
check "and wrote the empty value before the helper's execve" \
    before_exec "openat\\(AT_FDCWD, \"$fake/self-attr-exec\", O_WRONLY\\|O_CLOEXEC\\) = [0-9]+" || explain
check "the write is of zero bytes, to that descriptor" \
    before_exec "write\\([0-9]+, \"\", 0" || explain
parent_pid=$(awk '{print $1; exit}' "$work/trace")
check "the login process itself never writes its own exec context" \
    not_in_trace "^$parent_pid +openat\\(AT_FDCWD, \"$fake/[a-z-]*attr-exec\", O_WRONLY" || explain

: >"$fake/self-attr-exec"
login scnet_execctx_fake
check "fake SELinux, no context set: the login works" logged_in || explain
check "the child reads the attribute" \
    before_exec "openat\\(AT_FDCWD, \"$fake/self-attr-exec\", O_RDONLY\\|O_CLOEXEC\\) = [0-9]+" || explain
check "and writes nothing (no audit for a right it does not need)" \
    not_in_trace "\"$fake/self-attr-exec\", O_WRONLY" || explain

rm -f "$fake/enforce"
echo "unconfined_u:unconfined_r:unconfined_t:s0" >"$fake/self-attr-exec"
login scnet_execctx_fake
check "SELinux off (no selinuxfs): the attribute is never opened" not_in_trace "attr-exec\"" || explain
check "and the login works" logged_in || explain

login scnet_execctx_real
check "the installed module: the login works" logged_in || explain
check "the child asks whether SELinux is enabled before the helper's execve" \
    before_exec "access\\(\"/sys/fs/selinux/enforce\", F_OK\\)|faccessat2?\\(AT_FDCWD, \"/sys/fs/selinux/enforce\"" || explain
if [ -e /sys/fs/selinux/enforce ]; then
    check "SELinux enabled here: the child reads its thread's exec attribute" \
        before_exec "\"/proc/thread-self/attr/exec\", O_RDONLY" || explain
else
    check "SELinux not enabled here: attr/exec is never opened (today's behaviour)" \
        not_in_trace "/attr/exec\"" || explain
fi
say "$passed passed, $failed failed"
[ "$failed" = 0 ]
