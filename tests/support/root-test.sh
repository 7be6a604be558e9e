# The start every root-only shell test shares (e2e, su, silent DNS, package); sourced after
# the caller sets test_name. Defines say and die; root_test_start "$#" HELP WHY checks the
# one argument (BUILD_DIR; HELP says what it must hold, may be empty) and that we are root
# (else a skip: exit 77, which ctest reports as skipped; WHY says what needs root).
say() { printf '%s\n' "$*"; }
die() {
    say "$test_name: $*" >&2
    exit 1
}
# Where these tests keep their files: the module refuses a cafile or helper below a folder
# that group or others may write (every folder from / is checked), so not /tmp.
ROOT_TEST_TMP=/var/lib
root_test_start() {
    if [ "$1" -ne 1 ]; then
        say "usage: $0 BUILD_DIR${2:+   ($2)}" >&2
        exit 2
    fi
    if [ "$(id -u)" -ne 0 ]; then
        say "SKIP: $3; skipped." >&2
        exit 77
    fi
}
