#!/bin/bash
# RPM test: builds packaging/rpm/pam_scnet_quota.spec for real with rpmbuild, from the source
# tarball the build makes (`cmake --build BUILD --target dist`, git archive), and checks the
# packages: file list, modes and owners (rpm -qlvp), config files, dependencies, scriptlets
# (rpm -qp --scripts), the distribution's compiler flags in the build log, %check's unit
# tests. Debian's rpm lacks the macro packages of a RHEL builder (%cmake, %ctest,
# %selinux_*, %systemd_*, EL9's flags and directories): tests/package/rpm-macros.fedora
# defines them as EL9 expands them and is loaded with --load. The packages are built and
# inspected, never installed.
#
#   usage: tests/package/test-rpm.sh BUILD_DIR     (configured; needs root, rpmbuild)
#
# Exits 77 (a skip) when not root (it runs with the other package test, in the root CI
# stage) or when rpmbuild is missing (Debian: apt-get install rpm). The -selinux subpackage
# is built when packaging/selinux/ is in the sources, with the reference policy's devel
# Makefile (Debian: selinux-policy-dev), inside rpmbuild. Touches nothing outside its work
# folder (PKG_KEEP_TMP=1 keeps it). One PASS:/FAIL: line per assertion; the last line is
# "N passed, N failed".
set -u
set -o pipefail

NAME=pam_scnet_quota
CACHE_DIR=/var/cache/pam_scnet_quota
# The units the scriptlets handle (the --now service is a template the socket starts).
UNITS=(pam-scnet-quota-refresh.service pam-scnet-quota-refresh.timer pam-scnet-quota-now.socket)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
macros=$here/rpm-macros.fedora

test_name=test-rpm
# shellcheck source=../support/root-test.sh
. "$src/tests/support/root-test.sh"

root_test_start "$#" "a configured build folder" "the package tests run as root (the root CI stage)"
if ! command -v rpmbuild >/dev/null || ! command -v rpm >/dev/null; then
    say "SKIP: rpmbuild not installed (Debian: apt-get install rpm); skipped." >&2
    exit 77
fi
build=$(cd "$1" 2>/dev/null && pwd) || die "no such folder: $1"
[ -f "$build/CMakeCache.txt" ] || die "$build/CMakeCache.txt missing: configure first"
cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
version=$(cache_var CMAKE_PROJECT_VERSION)
cmake=$(cache_var CMAKE_COMMAND)
[ -n "$version" ] || die "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"
[ -x "$cmake" ] || die "cmake not found (CMAKE_COMMAND='$cmake')"
for tool in git rpm2archive bzip2 readelf file python3; do
    command -v "$tool" >/dev/null || die "missing $tool (Debian: apt-get install git rpm bzip2 binutils file python3)"
done

with_selinux=0
[ -f "$src/packaging/selinux/$NAME.te" ] && with_selinux=1
if [ "$with_selinux" = 1 ] && [ ! -f /usr/share/selinux/devel/Makefile ]; then
    die "packaging/selinux/ is there but /usr/share/selinux/devel/Makefile is not (apt-get install selinux-policy-dev)"
fi
with_units=0
[ -f "$src/packaging/systemd/${UNITS[0]}" ] && with_units=1
with_helper=0
[ -d "$src/fetch_helper" ] && with_helper=1

tmp=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$tmp" ]; then
        if [ "${PKG_KEEP_TMP:-0}" = 1 ]; then say "test-rpm: kept $tmp"; else rm -rf "$tmp"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

. "$here/../support/assert.sh"
same_lines() { # file, file: the same lines, order aside; prints the difference if not
    diff <(sort "$1") <(sort "$2") | sed 's/^/    | /'
    cmp -s <(sort "$1") <(sort "$2")
}
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$EPOCHREALTIME" "$1"; }
# "perms user:group path" of each entry of `rpm -qlvp`, build-id links left out
qlv() { rpm -qlvp "$1" 2>/dev/null | awk '$0 !~ / \/usr\/lib\/\.build-id/ { print $1, $3 ":" $4, $NF }'; }

t_start=$EPOCHREALTIME
# Not under /tmp: %check's unit tests refuse files below a folder others may write.
tmp=$(mktemp -d "$ROOT_TEST_TMP/scnet-rpm.XXXXXXXX") || die "mktemp failed"
top=$tmp/rpmbuild
mkdir -p "$top/SOURCES" "$tmp/x"
say "# build folder: $build (version $version)"
say "# work folder: $tmp"

# ---------------------------------------------------------------------------------------
# 1. The source tarball, made by the build.

say "== dist tarball"
tarball=$build/$NAME-$version.tar.gz
rm -f "$tarball"
"$cmake" --build "$build" --target dist >"$tmp/dist.log" 2>&1
rc=$?
check "cmake --build --target dist exits 0 (got $rc)" [ "$rc" = 0 ] || show_file dist "$tmp/dist.log"
[ -f "$tarball" ] || die "no $tarball: cannot go on"
tar tzf "$tarball" >"$tmp/tar-list" 2>/dev/null
check "the tarball's top folder is $NAME-$version/" \
    [ -z "$(grep -v "^$NAME-$version/" "$tmp/tar-list")" ]
check "the tarball holds the spec" grep -qx "$NAME-$version/packaging/rpm/$NAME.spec" "$tmp/tar-list"
check "the tarball holds no build output (CMakeCache.txt)" not_contains "$tmp/tar-list" CMakeCache.txt
tar xzf "$tarball" -C "$tmp/x" "$NAME-$version/packaging/rpm/$NAME.spec" || die "cannot extract the spec"
spec=$tmp/x/$NAME-$version/packaging/rpm/$NAME.spec
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
check "spec Version ($spec_version) = project version ($version)" [ "$spec_version" = "$version" ]
cp "$tarball" "$top/SOURCES/"

# ---------------------------------------------------------------------------------------
# 2. rpmbuild -bs and -bb, with the EL9 macros.

rpmbuild_args=(--load "$macros" --define "_topdir $top" --nodeps)
if [ "$with_selinux" = 1 ]; then
    say "# packaging/selinux/ is in the sources: building the -selinux subpackage"
else
    say "# no packaging/selinux/ in the sources: --without selinux"
    rpmbuild_args+=(--without selinux)
fi

say "== rpmbuild -bs"
rpmbuild "${rpmbuild_args[@]}" -bs "$spec" >"$tmp/rpmbuild-bs.log" 2>&1
rc=$?
check "rpmbuild -bs exits 0 (got $rc)" [ "$rc" = 0 ] || show_file "rpmbuild -bs" "$tmp/rpmbuild-bs.log"
check "source package $NAME-$version-1.src.rpm written" [ -f "$top/SRPMS/$NAME-$version-1.src.rpm" ]

say "== rpmbuild -bb"
t0=$EPOCHREALTIME
rpmbuild "${rpmbuild_args[@]}" -bb "$spec" >"$tmp/rpmbuild.log" 2>&1
rc=$?
check "rpmbuild -bb exits 0 (got $rc) in $(elapsed "$t0") s" [ "$rc" = 0 ] || {
    tail -n 60 "$tmp/rpmbuild.log" >"$tmp/rpmbuild.tail"
    show_file "rpmbuild -bb (last 60 lines)" "$tmp/rpmbuild.tail"
}
arch=$(rpm --eval '%{_arch}')
rpm_main=$top/RPMS/$arch/$NAME-$version-1.$arch.rpm
rpm_se=$top/RPMS/noarch/$NAME-selinux-$version-1.noarch.rpm
say "# written:"
grep '^Wrote: ' "$tmp/rpmbuild.log" | sed 's/^/    | /'
[ -f "$rpm_main" ] || die "no $rpm_main: cannot go on"

# The build honoured the distribution: EL9's CFLAGS on each compiler line of the module,
# EL9's LDFLAGS on its link line, and %check ran the unit tests.
log=$tmp/rpmbuild.log
module_cc=$(grep -E ' -c [^ ]*pam_module/pam_scnet_quota\.c' "$log" | head -n 1)
for flag in -fstack-clash-protection -grecord-gcc-switches -Wp,-D_FORTIFY_SOURCE=2 -fcf-protection; do
    check "the module is compiled with the distribution's $flag" grep -qF -- " $flag" <<<"$module_cc"
done
module_ld=$(grep -E -- '-o [^ ]*pam_scnet_quota\.so ' "$log" | head -n 1)
check "the module is linked with the distribution's -Wl,-z,now" grep -qF -- "-Wl,-z,now" <<<"$module_ld"
check "%check ran ctest -L unit" grep -qE '^\+ .*ctest .*-L unit' "$log"
unit_count=$(sed -n 's/^100% tests passed, 0 tests failed out of \([0-9]*\)$/\1/p' "$log")
check "%check: all unit tests passed (${unit_count:-none} ran)" [ -n "$unit_count" ] && [ "$unit_count" -gt 0 ]
check "%check ran no other test label (no pam., tools., e2e.)" [ -z "$(grep -E 'Test +#[0-9]+: (pam|tools|e2e|su|package|docs)\.' "$log")" ]

# ---------------------------------------------------------------------------------------
# 3. The main package.

say "== $(basename "$rpm_main")"
say "# rpm -qlvp:"
rpm -qlvp "$rpm_main" 2>&1 | sed 's/^/    | /'
qlv "$rpm_main" >"$tmp/main-files"
{
    say "-rwxr-xr-x root:root /usr/lib64/security/pam_scnet_quota.so" # 0755: rpm's generators
    say "-rwxr-xr-x root:root /usr/bin/scnet-quota"
    if [ "$with_helper" = 1 ]; then
        say "drwxr-xr-x root:root /usr/libexec/$NAME"
        say "-rwxr-xr-x root:root /usr/libexec/$NAME/scnet-quota-fetch"
        say "-rwxr-xr-x root:root /usr/libexec/$NAME/scnet-quota-now"
        say "-rwxr-xr-x root:root /usr/libexec/$NAME/removal-check"
    fi
    say "-rw-r--r-- root:root /etc/security/pam_scnet_quota.conf.example"
    say "-rw-r--r-- root:root /etc/profile.d/scnet-quota.sh"
    say "-rw-r--r-- root:root /etc/profile.d/scnet-quota.csh"
    say "drwx------ root:root $CACHE_DIR"
    for page in "$src"/man/*.[158]; do
        [ -f "$page" ] || continue
        page=$(basename "$page")
        say "-rw-r--r-- root:root /usr/share/man/man${page##*.}/$page.gz"
    done
    say "drwxr-xr-x root:root /usr/share/licenses/$NAME"
    say "-rw-r--r-- root:root /usr/share/licenses/$NAME/LICENSE"
    say "drwxr-xr-x root:root /usr/share/doc/$NAME"
    say "-rw-r--r-- root:root /usr/share/doc/$NAME/README.md"
    say "-rw-r--r-- root:root /usr/share/doc/$NAME/SECURITY.md"
    if [ "$with_units" = 1 ]; then
        for unit in "${UNITS[@]}" pam-scnet-quota-now@.service; do
            say "-rw-r--r-- root:root /usr/lib/systemd/system/$unit"
        done
        say "drwxr-xr-x root:root /usr/share/doc/$NAME/examples"
        say "-rw-r--r-- root:root /usr/share/doc/$NAME/examples/pam-scnet-quota-refresh"
    fi
} >"$tmp/main-files.expected"
check "rpm -qlvp: exactly the expected files, modes and owners (cache dir 0700)" \
    same_lines "$tmp/main-files.expected" "$tmp/main-files"
check "no system directory claimed (/etc/security, /etc/profile.d, the PAM dir, man sections)" \
    [ -z "$(grep -E ' (/etc/security|/etc/profile.d|/usr/lib64/security|/usr/share/man/man[158]|/usr/libexec|/var/cache)$' "$tmp/main-files")" ]
check "rpm -qpc: the config files are the example and the login-shell gate" \
    cmp -s <(rpm -qpc "$rpm_main" 2>/dev/null | sort) \
    <(printf '%s\n' /etc/profile.d/scnet-quota.csh /etc/profile.d/scnet-quota.sh \
        /etc/security/pam_scnet_quota.conf.example)
for f in /etc/security/pam_scnet_quota.conf.example /etc/profile.d/scnet-quota.sh /etc/profile.d/scnet-quota.csh; do
    check "$f is %config(noreplace)" \
        [ "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm_main" 2>/dev/null |
            sed -n "s| $f\$||p")" = cn ]
done
check "no live /etc/security/pam_scnet_quota.conf in the package" \
    [ -z "$(grep -E ' /etc/security/pam_scnet_quota\.conf$' "$tmp/main-files")" ]
rpm -qpR "$rpm_main" >"$tmp/main-requires" 2>/dev/null
say "# rpm -qpR:"
sed 's/^/    | /' "$tmp/main-requires"
curl_req="libcurl($arch)" # named by hand while the module dlopen()ed it
[ "$with_helper" = 1 ] && curl_req='libcurl.so.4()(64bit)' # the helper links it
for req in "pam($arch)" "$curl_req" ca-certificates 'libpam.so.0()(64bit)' 'libcjson.so.1()(64bit)'; do
    [ "$arch" = x86_64 ] && req=${req/(x86_64)/(x86-64)}
    check "requires '$req'" grep -qxF -- "$req" "$tmp/main-requires"
done
if [ "$with_selinux" = 1 ]; then
    check "recommends the -selinux subpackage where the targeted policy is installed" \
        [ "$(rpm -qp --recommends "$rpm_main" 2>/dev/null)" = "($NAME-selinux if selinux-policy-targeted)" ]
fi

rpm -qp --scripts "$rpm_main" >"$tmp/main-scripts" 2>/dev/null
say "# rpm -qp --scripts:"
sed 's/^/    | /' "$tmp/main-scripts"
# Each scriptlet's body, by name: the text between its header and the next header.
scriptlet() { # file, header word (postinstall, preuninstall, postuninstall, ...)
    awk -v want="$2" '/^[a-z]+ scriptlet( |$)|^[a-z]+ program:/ { on = ($1 == want); next } on' "$1"
}
scriptlet "$tmp/main-scripts" preuninstall >"$tmp/main-preun"
scriptlet "$tmp/main-scripts" postuninstall >"$tmp/main-postun"
scriptlet "$tmp/main-scripts" postinstall >"$tmp/main-post"
check "%preun runs removal-check on erase (\$1 = 0) and fails with it" \
    python3 - "$tmp/main-preun" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'if \[ \$1 -eq 0 \]; then\s+/usr/libexec/pam_scnet_quota/removal-check pam_scnet_quota \|\| exit 1\s+fi', text)
sys.exit(0 if m else 1)
EOF
check "%postun removes $CACHE_DIR and $CACHE_DIR-users on erase only (\$1 = 0)" \
    python3 - "$tmp/main-postun" "$CACHE_DIR" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'if \[ \$1 -eq 0 \]; then\s+rm -rf ' + re.escape(sys.argv[2]) + ' ' +
              re.escape(sys.argv[2] + '-users') + r'\s+fi', text)
sys.exit(0 if m else 1)
EOF
if [ "$with_units" = 1 ]; then
    check "%post: %systemd_post applies presets to both units on first install (not enabled)" \
        grep -qF "if [ \$1 -eq 1 ] && [ -x \"/usr/lib/systemd/systemd-update-helper\" ]; then" "$tmp/main-post"
    check "%post: systemd-update-helper install-system-units ${UNITS[*]}" \
        grep -qF "/usr/lib/systemd/systemd-update-helper install-system-units ${UNITS[*]}" "$tmp/main-post"
    check "%preun: systemd-update-helper remove-system-units ${UNITS[*]} on erase" \
        grep -qF "/usr/lib/systemd/systemd-update-helper remove-system-units ${UNITS[*]}" "$tmp/main-preun"
    # A builder without systemd-rpm-macros (%systemd_* undefined, as Debian's rpm has them):
    # the spec's own fallback in each scriptlet, parsed by rpmspec without the EL9 macros.
    rpmspec -P "$src/packaging/rpm/$NAME.spec" >"$tmp/spec-bare" 2>"$tmp/spec-bare.err"
    check "without %systemd_*: %post presets the units on first install" \
        grep -qF "if [ \$1 -eq 1 ] && command -v systemctl >/dev/null; then systemctl --no-reload preset ${UNITS[*]}" "$tmp/spec-bare" ||
        show_file "rpmspec -P" "$tmp/spec-bare.err"
    check "without %systemd_*: %preun disables and stops the units on erase" \
        grep -qF "if [ \$1 -eq 0 ] && command -v systemctl >/dev/null; then systemctl --no-reload disable ${UNITS[*]} >/dev/null 2>&1 || :; systemctl stop ${UNITS[*]}" "$tmp/spec-bare"
    check "without %systemd_*: %postun reloads systemd" \
        grep -qF "command -v systemctl >/dev/null && systemctl daemon-reload" "$tmp/spec-bare"
    check "with %systemd_*: no fallback in the built scriptlets" \
        not_contains "$tmp/main-scripts" "systemctl --no-reload"
    check "no scriptlet enables or starts a unit" \
        [ -z "$(grep -E 'systemctl .*(enable|start)|--now' "$tmp/main-scripts")" ]
fi

# The packaged files: no build or source path inside, EL9's linker flags applied.
mkdir -p "$tmp/main-root"
rpm2archive - <"$rpm_main" | tar xzf - -C "$tmp/main-root" || die "cannot unpack $rpm_main"
# Debug information names the build folder by design: a RHEL builder's find-debuginfo moves
# it into the -debuginfo package, and this host's rpm may not even strip shared objects
# (rpm 4.16's brp-strip skips them). So the packaged files are searched with their debug
# sections taken out, as the package a RHEL builder makes ships them.
cp -a "$tmp/main-root" "$tmp/main-nodebug"
find "$tmp/main-nodebug" -type f -exec sh -c 'for f; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = 177ELF ] && strip --strip-debug "$f"
done; exit 0' sh {} +
check "no build or source path inside any packaged file (debug sections aside)" \
    [ -z "$(grep -rlaF -e "$top/BUILD" -e "$src/" "$tmp/main-nodebug")" ] ||
    grep -rlaF -e "$top/BUILD" -e "$src/" "$tmp/main-nodebug"
# %preun as rpm runs it on erase (sh SCRIPT 0), with the packaged removal-check, against a
# fake root (SCNET_QUOTA_PAM_ROOT): the rpm database here is empty, nothing is installed.
# The systemd part is pointed at a helper that does not exist, so it does nothing here.
fake=$tmp/fake-root
mkdir -p "$fake/etc/pam.d" "$fake/usr/lib/pam.d"
sed -e "s|/usr/libexec/pam_scnet_quota/removal-check|$tmp/main-root/usr/libexec/pam_scnet_quota/removal-check|" \
    -e 's|/usr/lib/systemd/systemd-update-helper|/nonexistent/systemd-update-helper|g' \
    "$tmp/main-preun" >"$tmp/preun.sh"
preun() { # NAME [VAR=VALUE...]: %preun on erase; leaves $tmp/NAME.err, sets rc
    local name=$1
    shift
    env SCNET_QUOTA_PAM_ROOT="$fake" "$@" sh "$tmp/preun.sh" 0 >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
}
printf '%s\n' 'auth    required pam_unix.so' '# account required pam_scnet_quota.so' \
    'account required pam_unix.so' >"$fake/etc/pam.d/sshd"
preun preun-clean
check "%preun with no line naming the module: erase goes on (exit $rc), silently" \
    [ "$rc" = 0 -a ! -s "$tmp/preun-clean.err" ] || show_file "%preun" "$tmp/preun-clean.err"
printf '%s\n' 'account required pam_scnet_quota.so' >>"$fake/etc/pam.d/sshd"
printf '%s\n' '-session optional /usr/lib64/security/pam_scnet_quota.so debug' >"$fake/usr/lib/pam.d/login"
preun preun-refused
check "%preun with an account line written by hand: erase refused (exit $rc)" [ "$rc" != 0 ]
check "... one line says so" [ "$(grep -c . "$tmp/preun-refused.err")" = 1 ] ||
    show_file "%preun" "$tmp/preun-refused.err"
check "... it names /etc/pam.d/sshd (account) and /usr/lib/pam.d/login (-session, by path)" \
    grep -qF "$NAME: not removed: /etc/pam.d/sshd /usr/lib/pam.d/login name pam_scnet_quota.so" "$tmp/preun-refused.err"
check "... and the override" grep -qF SCNET_QUOTA_FORCE_REMOVE=1 "$tmp/preun-refused.err"
preun preun-forced SCNET_QUOTA_FORCE_REMOVE=1
check "%preun with SCNET_QUOTA_FORCE_REMOVE=1: erase goes on (exit $rc)" [ "$rc" = 0 ]
check "... with a warning naming the files" \
    grep -qF "/etc/pam.d/sshd /usr/lib/pam.d/login name it" "$tmp/preun-forced.err" ||
    show_file "%preun" "$tmp/preun-forced.err"
# (Stripping is find-debuginfo's work on a RHEL builder, which also makes the -debuginfo
# package; Debian's rpm does neither, so it is not checked here.)
if [ "$with_units" = 1 ]; then
    check "the refresh service runs the packaged /usr/bin/scnet-quota --refresh" \
        grep -qxF 'ExecStart=/usr/bin/scnet-quota --refresh' "$tmp/main-root/usr/lib/systemd/system/${UNITS[0]}"
    check "the --now service runs the packaged /usr/libexec/$NAME/scnet-quota-now" \
        grep -qxF "ExecStart=/usr/libexec/$NAME/scnet-quota-now" "$tmp/main-root/usr/lib/systemd/system/pam-scnet-quota-now@.service"
fi
check "the module is linked with BIND_NOW and RELRO (EL9's LDFLAGS)" \
    eval 'readelf -dl "$tmp/main-root/usr/lib64/security/pam_scnet_quota.so" | grep -q "BIND_NOW" &&
          readelf -dl "$tmp/main-root/usr/lib64/security/pam_scnet_quota.so" | grep -q "GNU_RELRO"'

# ---------------------------------------------------------------------------------------
# 4. The -selinux subpackage.

if [ "$with_selinux" = 1 ]; then
    say "== $(basename "$rpm_se")"
    check "the -selinux subpackage was written" [ -f "$rpm_se" ]
    check "the devel Makefile built $NAME.pp inside rpmbuild" \
        grep -qE "^\+ .*make .*-f /usr/share/selinux/devel/Makefile $NAME\.pp" "$log"
fi
if [ "$with_selinux" = 1 ] && [ -f "$rpm_se" ]; then
    say "# rpm -qlvp:"
    rpm -qlvp "$rpm_se" 2>&1 | sed 's/^/    | /'
    qlv "$rpm_se" >"$tmp/se-files"
    {
        say "-rw-r--r-- root:root /usr/share/selinux/packages/targeted/$NAME.pp.bz2"
        say "-rw-r--r-- root:root /usr/share/selinux/devel/include/distributed/$NAME.if"
        say "---------- root:root /var/lib/selinux/targeted/active/modules/200/$NAME"
    } >"$tmp/se-files.expected"
    check "rpm -qlvp: exactly the policy package, the interface, the store entry (%ghost)" \
        same_lines "$tmp/se-files.expected" "$tmp/se-files"
    check "the store entry is %ghost" \
        [ "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm_se" 2>/dev/null |
            sed -n "s| /var/lib/selinux/targeted/active/modules/200/$NAME\$||p")" = g ]
    mkdir -p "$tmp/se-root"
    rpm2archive - <"$rpm_se" | tar xzf - -C "$tmp/se-root" || die "cannot unpack $rpm_se"
    magic=$(bzip2 -dc "$tmp/se-root/usr/share/selinux/packages/targeted/$NAME.pp.bz2" 2>/dev/null | od -An -tx1 -N4 | tr -d ' ')
    check "the .pp.bz2 is an SELinux policy package (magic 8fff7cf9, got '$magic')" [ "$magic" = 8fff7cf9 ]
    rpm -qpR "$rpm_se" >"$tmp/se-requires" 2>/dev/null
    for req in selinux-policy-targeted policycoreutils libselinux-utils; do
        check "-selinux requires '$req'" grep -qE "^$req( |$)" "$tmp/se-requires"
    done

    rpm -qp --scripts "$rpm_se" >"$tmp/se-scripts" 2>/dev/null
    say "# rpm -qp --scripts:"
    sed 's/^/    | /' "$tmp/se-scripts"
    scriptlet "$tmp/se-scripts" preinstall >"$tmp/se-pre"
    scriptlet "$tmp/se-scripts" postinstall >"$tmp/se-post"
    scriptlet "$tmp/se-scripts" postuninstall >"$tmp/se-postun"
    scriptlet "$tmp/se-scripts" posttrans >"$tmp/se-posttrans"
    check "%pre: %selinux_relabel_pre keeps the old file contexts" \
        contains "$tmp/se-pre" "cp -f /etc/selinux/\${SELINUXTYPE}/contexts/files/file_contexts /var/lib/rpm-state/file_contexts.pre"
    check "%post: %selinux_modules_install installs the module at priority 200" \
        contains "$tmp/se-post" "/usr/sbin/semodule -n -s \${_policytype} -X 200 -i /usr/share/selinux/packages/targeted/$NAME.pp.bz2"
    check "%post: the policy is loaded when SELinux is on" \
        contains "$tmp/se-post" "/usr/sbin/selinuxenabled && /usr/sbin/load_policy"
    check "%postun: %selinux_modules_uninstall removes the module on erase" \
        contains "$tmp/se-postun" "/usr/sbin/semodule -n -X 200 -s \${_policytype} -r $NAME"
    check "%postun: only on erase (\$1 = 0)" contains "$tmp/se-postun" 'if [ $1 -eq 0 ]; then'
    check "%posttrans: %selinux_relabel_post relabels what changed" \
        contains "$tmp/se-posttrans" "/usr/sbin/fixfiles -C /var/lib/rpm-state/file_contexts.pre restore"
fi

say "# total $(elapsed "$t_start") s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]
