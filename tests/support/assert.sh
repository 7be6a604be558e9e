# Assertion helpers shared by the root-only shell tests (e2e, su, package); sourced.
# The caller defines say() and, at the end, prints "$passed passed, $failed failed".

passed=0
failed=0
pass() {
    passed=$((passed + 1))
    say "PASS: $*"
}
fail() {
    failed=$((failed + 1))
    say "FAIL: $*"
    return 1
}
check() { # description, then a command that succeeds when the assertion holds; 1 if failed
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
show_file() { # label, file: print it indented, for diagnosing a failure
    say "    --- $1:"
    sed 's/^/    | /' "$2"
}
contains() { grep -qF -- "$2" "$1"; }
not_contains() { ! grep -qF -- "$2" "$1"; }
