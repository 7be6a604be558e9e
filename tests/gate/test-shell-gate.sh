#!/bin/bash
# The login-shell gate (packaging/profile.d/scnet-quota.{sh,csh}) in real shells on a real
# pseudo-terminal: a login shell that is interactive, on a terminal, with SCNET_QUOTA_REFUSAL
# set shows the refusal on stderr and ends before running anything typed; without the
# variable, without a terminal, or not interactive it prints nothing and the shell goes on.
# The gate is read as a login shell reads it: from ~/.profile (sh, dash, bash) or ~/.login
# (tcsh, csh) of a temporary HOME; the real /etc/profile.d path is the e2e test's.
#
#   usage: tests/gate/test-shell-gate.sh SOURCE_DIR
# sh and bash must exist; tcsh and csh are checked when installed (scripts/install-deps.sh).
set -u
root=$(cd "${1:?usage: $0 SOURCE_DIR}" && pwd)
here=$root/tests/gate
say() { printf '%s\n' "$*"; }
. "$root/tests/support/assert.sh"

gate_sh=$root/packaging/profile.d/scnet-quota.sh
gate_csh=$root/packaging/profile.d/scnet-quota.csh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scnet-gate.XXXXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '. %s\n' "$gate_sh" >"$tmp/.profile"
printf 'source %s\n' "$gate_csh" >"$tmp/.login"
# Typed at the prompt. The terminal echoes what is typed, so the command's own output is
# told apart by the quotes the shell removes: "INSIDESHELL" only if the shell ran it.
typed='echo INSIDE""SHELL; exit
'
refusal='Login refused: your storage quota is exceeded.
  /public/home/over  735.0 GB of 700.0 GB  105.0%  [####################]
Logins are refused at 100.0% of the quota.'
printf '%s\n' "$refusal" >"$tmp/refusal.expected"

# on_pty NAME VAR-OR-"" COMMAND...: on a new terminal, typing $typed, HOME=$tmp; the
# command's stderr goes to NAME.err (its terminal output to NAME.out); sets rc.
on_pty() {
    local name=$1 value=$2
    shift 2
    if [ -n "$value" ]; then
        HOME=$tmp SCNET_QUOTA_REFUSAL=$value python3 "$here/on_pty.py" "$typed" \
            sh -c 'exec "$@" 2>"$0"' "$tmp/$name.err" "$@" >"$tmp/$name.out"
    else
        env -u SCNET_QUOTA_REFUSAL HOME="$tmp" python3 "$here/on_pty.py" "$typed" \
            sh -c 'exec "$@" 2>"$0"' "$tmp/$name.err" "$@" >"$tmp/$name.out"
    fi
    rc=$?
}
shown() { cat "$tmp/$1.out" "$tmp/$1.err" | cat -v | sed 's/^/    | /'; }

# check_shell LABEL GATE-COMMAND SHELL ARGS...: the cases for one shell; ARGS make it a login
# shell; GATE-COMMAND reads the gate and echoes, for the shell's -c.
check_shell() {
    local label=$1 gate=$2
    shift 2
    say "== $label"
    on_pty "$label-refused" "$refusal" "$@"
    check "$label: interactive login on a terminal with the variable: the shell ends (exit $rc)" \
        [ "$rc" = 1 ] || shown "$label-refused"
    check "$label: the refusal is exactly on stderr" cmp -s "$tmp/$label-refused.err" "$tmp/refusal.expected" ||
        shown "$label-refused"
    check "$label: nothing typed ran" not_contains "$tmp/$label-refused.out" INSIDESHELL

    on_pty "$label-novar" "" "$@"
    check "$label: without the variable the login shell runs what is typed (exit $rc)" \
        [ "$rc" = 0 ] || shown "$label-novar"
    check "$label: ... and shows it" contains "$tmp/$label-novar.out" INSIDESHELL
    check "$label: ... and no refusal" not_contains "$tmp/$label-novar.err" "Login refused"

    # Input not a terminal (a login shell fed by a pipe; bash -i: interactive even so).
    SCNET_QUOTA_REFUSAL=$refusal HOME=$tmp "$@" <<<"$typed" >"$tmp/$label-pipe.out" 2>"$tmp/$label-pipe.err"
    rc=$?
    check "$label: login shell without a terminal goes on (exit $rc)" [ "$rc" = 0 ]
    check "$label: ... runs its input" contains "$tmp/$label-pipe.out" INSIDESHELL
    check "$label: ... and prints no refusal" not_contains "$tmp/$label-pipe.err" "Login refused"

    # A command on a terminal (`ssh -t host 'cmd'` reading the gate): not interactive.
    on_pty "$label-command" "$refusal" "${@:1:1}" -c "$gate"
    check "$label: a command on a terminal that reads the gate goes on (exit $rc)" \
        [ "$rc" = 0 ] || shown "$label-command"
    check "$label: ... runs" contains "$tmp/$label-command.out" INSIDESHELL
    check "$label: ... and prints no refusal" not_contains "$tmp/$label-command.err" "Login refused"
}

for shell in sh bash; do
    command -v "$shell" >/dev/null || { say "FAIL: $shell is missing"; exit 1; }
done
check_shell sh ". $gate_sh; echo INSIDE\"\"SHELL" sh -l
# -i: bash counts as interactive only with stderr on a terminal, and the test takes stderr.
check_shell bash ". $gate_sh; echo INSIDE\"\"SHELL" bash --login -i
# A missing csh is a failure in CI (scripts/install-deps.sh installs both), else the run ends
# as a skip (77) after the other shells' cases.
not_run=
for shell in tcsh bsd-csh; do
    if command -v "$shell" >/dev/null; then
        check_shell "$shell" "source $gate_csh; echo INSIDE\"\"SHELL" "$shell" -l
    elif [ -n "${CI:-}" ]; then
        failed=$((failed + 1))
        say "FAIL: $shell is missing (CI is set: scripts/install-deps.sh installs it)"
    else
        not_run="$not_run $shell"
        say "# $shell not installed: its cases are not run (scripts/install-deps.sh installs it)"
    fi
done

say "$passed passed, $failed failed"
[ "$failed" = 0 ] || exit 1
if [ -n "$not_run" ]; then
    say "SKIP: not installed:$not_run; their cases were not run"
    exit 77
fi
