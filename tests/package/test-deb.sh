#!/bin/bash
# Package test: builds the .deb with cpack from a build folder, checks its contents,
# installs it with dpkg -i on this machine, and logs in with pamtester against the SCNet API
# simulator through two real /etc/pam.d services: one naming the module by hand
# (`session required`, so deny is enforced), and one including common-session after
# `pam-auth-update --enable scnet-quota` (the package's profile). Then dpkg -r (the profile
# leaves common-session, logins still work) and dpkg -P (the cache goes, the admin's
# /etc/security/pam_scnet_quota.conf stays). The .rpm is tests/package/test-rpm.sh's.
#
#   usage: tests/package/test-deb.sh BUILD_DIR     (configured and built; needs root)
#
# The .deb is made as a packager makes it: from a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr, since the helper's path is compiled into the module (cpack
# refuses any other prefix). BUILD_DIR is used when it has that prefix; otherwise (CI's build
# has /usr/local) a second build of the same sources is configured and built in the work
# folder with that prefix and without the tests (about 15 s on two cores).
# Needs root (dpkg -i, /etc/pam.d, useradd); exits 77 (a skip) otherwise. Rewrites
# /etc/pam.d/common-* through pam-auth-update, so run it under the system tests' lock
# (COMMON.md); it saves those files and /var/lib/pam/ first and puts them back byte for
# byte at exit. Refuses to start (exit 1, nothing touched) when the package, its files,
# /etc/pam.d/scnet-pkg-*, /etc/security/pam_scnet_quota.conf, the login-shell gate in
# /etc/profile.d, the users near/over or
# /var/cache/pam_scnet_quota already exist. Everything it creates is undone by the EXIT
# trap: the package (purged), the PAM services, the config, the users, the simulator, the
# cache folder, the work folder (PKG_KEEP_TMP=1 keeps that one).
# One PASS:/FAIL: line per assertion; the last line is "N passed, N failed".
set -u
set -o pipefail

DEB_NAME=libpam-scnet-quota
SERVICE=scnet-pkg-test # names the module by hand, session required, conf=<test config>
PAM_FILE=/etc/pam.d/$SERVICE
COMMON_SERVICE=scnet-pkg-common # @include common-session: the pam-auth-update profile
COMMON_PAM_FILE=/etc/pam.d/$COMMON_SERVICE
ACCT_SERVICE=scnet-pkg-acct # an account line written by hand: dpkg -r must refuse
ACCT_PAM_FILE=/etc/pam.d/$ACCT_SERVICE
PROFILE=scnet-quota
PROFILE_FILE=/usr/share/pam-configs/$PROFILE
LIVE_CONF=/etc/security/pam_scnet_quota.conf # the module's default: what the profile's line reads
COMMON_FILES=(/etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password
    /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive)
PAM_STATE_DIR=/var/lib/pam # pam-auth-update's record of enabled profiles
CACHE_DIR=/var/cache/pam_scnet_quota # the module's default; the config leaves it unset
RECORD_DIR=$CACHE_DIR-users # the users' records (scnet-quota run by a user), made by the module
TEST_USERS=(near over)
GATE_FILES=(/etc/profile.d/scnet-quota.csh /etc/profile.d/scnet-quota.sh) # deny_scope = tty
CSH_LINK=/etc/csh/login.d/scnet-quota.csh # where Debian's tcsh and csh read the csh gate
TIMER=pam-scnet-quota-refresh.timer
TIMER_LINK=/etc/systemd/system/timers.target.wants/$TIMER # made by systemctl enable
TIMER_MASK=/etc/systemd/system/$TIMER                     # made by postrm on remove

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
support=$src/tests/support

test_name=test-deb
# shellcheck source=../support/root-test.sh
. "$support/root-test.sh"

root_test_start "$#" "a configured and built build folder" \
    "the package test needs root (dpkg -i, /etc/pam.d, useradd)"
build=$(cd "$1" 2>/dev/null && pwd) || die "no such folder: $1"
[ -f "$build/CPackConfig.cmake" ] || die "$build/CPackConfig.cmake missing: configure first"
[ -f "$build/CMakeCache.txt" ] || die "$build/CMakeCache.txt missing: configure first"
cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$EPOCHREALTIME" "$1"; }

t_start=$EPOCHREALTIME
# The work folder is made now, for the package build; until the checks below pass, the trap
# removes only it (the full cleanup is registered later).
tmp=$(mktemp -d "$ROOT_TEST_TMP/scnet-pkg.XXXXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
say "# build folder: $build (prefix $(cache_var CMAKE_INSTALL_PREFIX))"
if [ "$(cache_var CMAKE_INSTALL_PREFIX)" != /usr ]; then
    # Same sources, compiler and build type; /usr; no tests (the package has none of them).
    t0=$EPOCHREALTIME
    pkg_build=$tmp/build-usr
    cmake -S "$src" -B "$pkg_build" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
        -DCMAKE_C_COMPILER="$(cache_var CMAKE_C_COMPILER)" \
        -DCMAKE_BUILD_TYPE="$(cache_var CMAKE_BUILD_TYPE)" \
        -DSCNET_WERROR="$(cache_var SCNET_WERROR)" >"$tmp/configure-usr.log" 2>&1 &&
        cmake --build "$pkg_build" -j2 >"$tmp/build-usr.log" 2>&1 || {
        tail -n 40 "$tmp/configure-usr.log" "$tmp/build-usr.log" >&2
        die "the build with -DCMAKE_INSTALL_PREFIX=/usr in $pkg_build failed"
    }
    build=$pkg_build
    say "# package build folder: $build (-DCMAKE_INSTALL_PREFIX=/usr, configured and built in $(elapsed "$t0") s)"
fi
pam_dir=$(cache_var SCNET_PAM_MODULE_DIR)
helper_dir=$(cache_var SCNET_HELPER_DIR)
unit_dir=$(cache_var SCNET_SYSTEMD_UNIT_DIR) # where this host's systemd.pc says (or /lib)
cpack=$(cache_var CMAKE_CPACK_COMMAND)
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$pam_dir" ] || die "SCNET_PAM_MODULE_DIR not in $build/CMakeCache.txt"
[ -n "$helper_dir" ] || die "SCNET_HELPER_DIR not in $build/CMakeCache.txt"
case "$unit_dir" in /*) ;; *) die "SCNET_SYSTEMD_UNIT_DIR '$unit_dir' is not absolute under /usr" ;; esac
[ -x "$cpack" ] || die "cpack not found (CMAKE_CPACK_COMMAND='$cpack')"
[ -n "$version" ] || die "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
for tool in dpkg dpkg-deb dpkg-query pamtester pam-auth-update useradd userdel groupdel getent man python3; do
    command -v "$tool" >/dev/null ||
        die "missing $tool (Debian: apt-get install dpkg pamtester libpam-runtime passwd man-db python3)"
done

# Refuse to touch anything that this run did not create.
status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$DEB_NAME" 2>/dev/null)
case "$status" in "" | "un "*) ;; *) die "$DEB_NAME is on this machine already (dpkg: '$status'); not touching it" ;; esac
for f in "$pam_dir/pam_scnet_quota.so" /usr/bin/scnet-quota /etc/security/pam_scnet_quota.conf.example \
    "$helper_dir/scnet-quota-fetch" "$PAM_FILE" "$COMMON_PAM_FILE" "$ACCT_PAM_FILE" "$PROFILE_FILE" "$LIVE_CONF" "$CACHE_DIR" \
    "$RECORD_DIR" "${GATE_FILES[@]}" "$CSH_LINK" "$TIMER_LINK" "$TIMER_MASK"; do
    [ -e "$f" ] || [ -L "$f" ] && die "$f exists already (another install or run?); not touching it"
done
for f in "${COMMON_FILES[@]}"; do
    [ -f "$f" ] || die "$f missing: this test needs Debian's pam-auth-update managed common-* files"
    grep -q pam_scnet_quota "$f" && die "$f already names pam_scnet_quota; not touching it"
done
for u in "${TEST_USERS[@]}"; do
    if getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; then
        die "user or group '$u' already exists on this machine; refusing to touch it"
    fi
done

# Man pages the package must carry: every man/<page>.<1|5|8> of the sources.
man_pages=()
for page in "$src"/man/*.[158]; do
    [ -f "$page" ] && man_pages+=("$(basename "$page")")
done

# ---------------------------------------------------------------------------------------
# cleanup: registered before anything is created, undoes only what this run created

installed=0
timer_enabled=0
pam_files_written=0
live_conf_written=0
pam_saved=0
created_users=()

restore_pam() { # the saved common-* and /var/lib/pam/, byte for byte; 1 if that failed
    local f ok=0
    for f in "${COMMON_FILES[@]}"; do
        cp -p "$tmp/pam-saved/$(basename "$f")" "$f" && cmp -s "$tmp/pam-saved/$(basename "$f")" "$f" || {
            say "test-deb: cleanup could not restore $f" >&2
            ok=1
        }
    done
    rm -rf "$PAM_STATE_DIR" && cp -a "$tmp/pam-saved/state" "$PAM_STATE_DIR" || {
        say "test-deb: cleanup could not restore $PAM_STATE_DIR" >&2
        ok=1
    }
    return "$ok"
}

cleanup() {
    local rc=$? u
    trap - EXIT INT TERM HUP
    [ -n "$tmp" ] && [ -d "$tmp/sim" ] && "$support/sim-stop.sh" "$tmp/sim" >/dev/null 2>&1
    [ "$pam_files_written" = 1 ] && rm -f "$PAM_FILE" "$COMMON_PAM_FILE" "$ACCT_PAM_FILE"
    if [ "$installed" = 1 ]; then
        SCNET_QUOTA_FORCE_REMOVE=1 dpkg -P "$DEB_NAME" >/dev/null 2>&1 || {
            say "test-deb: cleanup: dpkg -P $DEB_NAME failed" >&2
            rc=1
        }
    fi
    # Absent when the run started (checked above): systemctl enable's link, postrm's mask.
    [ "$timer_enabled" = 1 ] && rm -f "$TIMER_LINK" "$TIMER_MASK"
    # After the purge (its prerm runs pam-auth-update): the common-* files as they were.
    if [ "$pam_saved" = 1 ]; then
        restore_pam || rc=1
    fi
    [ "$live_conf_written" = 1 ] && rm -f "$LIVE_CONF"
    # Absent when the run started (checked above): whatever is there now is this run's.
    rm -rf "$CACHE_DIR" "$RECORD_DIR"
    for u in "${created_users[@]}"; do
        userdel "$u" >/dev/null 2>&1
        getent group "$u" >/dev/null && groupdel "$u" >/dev/null 2>&1
        if getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; then
            say "test-deb: cleanup could not remove user/group '$u'" >&2
            rc=1
        fi
    done
    if [ -n "$tmp" ]; then
        if [ "${PKG_KEEP_TMP:-0}" = 1 ]; then say "test-deb: kept $tmp"; else rm -rf "$tmp"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------------------------------
# assertions: pass, fail, check, show_file, contains, not_contains
. "$here/../support/assert.sh"
same_lines() { # file, file: the same lines, order aside; prints the difference if not
    diff <(sort "$1") <(sort "$2") | sed 's/^/    | /'
    cmp -s <(sort "$1") <(sort "$2")
}
mode_owner() { stat -c '%a %U:%G' "$1" 2>/dev/null; }

free_uid() { # lowest uid >= 1000 that is neither a user's nor a group's id yet
    local uid=1000
    while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do
        uid=$((uid + 1))
    done
    say "$uid"
}

mkdir -p "$tmp/pkg" "$tmp/out" "$tmp/deb" "$tmp/pam-saved"
say "# packaged from: $build (version $version)"
say "# PAM module directory: $pam_dir"
say "# work folder: $tmp"

# ---------------------------------------------------------------------------------------
# 1. The .deb: built, inspected.

say "== .deb: build and contents"
t0=$EPOCHREALTIME
"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack-deb.log" 2>&1
rc=$?
shopt -s nullglob
debs=("$tmp/pkg"/*.deb)
shopt -u nullglob
check "cpack -G DEB exits 0 (got $rc) in $(elapsed "$t0") s" [ "$rc" = 0 ] ||
    show_file "cpack -G DEB" "$tmp/cpack-deb.log"
[ "${#debs[@]}" = 1 ] || die "expected one .deb in $tmp/pkg, found ${#debs[@]}"
deb=${debs[0]}
arch=$(dpkg --print-architecture)
check "file name is ${DEB_NAME}_$version-1_$arch.deb" [ "$(basename "$deb")" = "${DEB_NAME}_$version-1_$arch.deb" ]
say "# $(basename "$deb"): $(stat -c %s "$deb") bytes"

dpkg-deb -f "$deb" >"$tmp/control"
say "# control:"
sed 's/^/    | /' "$tmp/control"
check "Package: $DEB_NAME" [ "$(dpkg-deb -f "$deb" Package)" = "$DEB_NAME" ]
check "Version: $version-1" [ "$(dpkg-deb -f "$deb" Version)" = "$version-1" ]
depends=$(dpkg-deb -f "$deb" Depends)
for dep in libc6 libpam0g libcjson1 libcurl4 libpam-runtime; do
    n=$(tr ',' '\n' <<<"$depends" | grep -cE "^ *$dep( |$)")
    check "Depends names $dep exactly once (got $n)" [ "$n" = 1 ]
done
dpkg-deb -e "$deb" "$tmp/deb/DEBIAN"
check "conffiles lists exactly the example and the login-shell gate" \
    cmp -s "$tmp/deb/DEBIAN/conffiles" <(printf '%s\n' /etc/security/pam_scnet_quota.conf.example "${GATE_FILES[@]}")
check "postinst records the timer's links (deb-systemd-helper update-state)" \
    grep -q 'deb-systemd-helper update-state' "$tmp/deb/DEBIAN/postinst"
check "postrm purges them (deb-systemd-helper purge)" grep -q 'deb-systemd-helper purge' "$tmp/deb/DEBIAN/postrm"
check "maintainer scripts postinst, prerm and postrm are there, 0755" \
    [ "$(stat -c %a "$tmp/deb/DEBIAN/postinst" "$tmp/deb/DEBIAN/prerm" "$tmp/deb/DEBIAN/postrm" 2>/dev/null | sort -u)" = 755 ]
check "prerm removes the profile: pam-auth-update --package --remove $PROFILE" \
    grep -qE "^[[:space:]]*pam-auth-update --package --remove $PROFILE\$" "$tmp/deb/DEBIAN/prerm"
check "prerm runs removal-check before and after removing the profile" \
    [ "$(grep -cE '^[[:space:]]*"\$check" '"$DEB_NAME" "$tmp/deb/DEBIAN/prerm")" = 2 ]
check "... from $helper_dir" grep -qxF "check=$helper_dir/removal-check" "$tmp/deb/DEBIAN/prerm"
check "postinst does not enable the profile (no --enable, no --force)" \
    [ -z "$(grep -v '^[[:space:]]*#' "$tmp/deb/DEBIAN/postinst" | grep -E 'pam-auth-update.*(--enable|--force)')" ]

# Every regular file, with mode and owner: exactly these (no test file, no build output).
dpkg-deb -c "$deb" >"$tmp/deb-listing"
say "# dpkg -c:"
sed 's/^/    | /' "$tmp/deb-listing"
awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $1, $2, $6 }' "$tmp/deb-listing" >"$tmp/deb-files"
{
    say "-rw-r--r-- root/root $pam_dir/pam_scnet_quota.so"
    say "-rwxr-xr-x root/root /usr/bin/scnet-quota"
    say "-rwxr-xr-x root/root $helper_dir/scnet-quota-fetch"
    say "-rwxr-xr-x root/root $helper_dir/scnet-quota-now"
    say "-rwxr-xr-x root/root $helper_dir/removal-check"
    say "-rw-r--r-- root/root /etc/security/pam_scnet_quota.conf.example"
    for f in "${GATE_FILES[@]}"; do say "-rw-r--r-- root/root $f"; done
    say "lrwxrwxrwx root/root $CSH_LINK"
    say "-rw-r--r-- root/root /usr/share/doc/$DEB_NAME/copyright"
    say "-rw-r--r-- root/root /usr/share/doc/$DEB_NAME/changelog.Debian.gz"
    say "-rw-r--r-- root/root $PROFILE_FILE"
    say "-rw-r--r-- root/root /usr/share/doc/$DEB_NAME/examples/pam-scnet-quota-refresh"
    say "-rw-r--r-- root/root $unit_dir/pam-scnet-quota-refresh.service"
    say "-rw-r--r-- root/root $unit_dir/pam-scnet-quota-refresh.timer"
    say "-rw-r--r-- root/root $unit_dir/pam-scnet-quota-now.socket"
    say "-rw-r--r-- root/root $unit_dir/pam-scnet-quota-now@.service"
    for page in ${man_pages[@]+"${man_pages[@]}"}; do
        say "-rw-r--r-- root/root /usr/share/man/man${page##*.}/$page.gz"
    done
} >"$tmp/deb-files.expected"
check "dpkg -c: exactly the expected files, modes and owners" \
    same_lines "$tmp/deb-files.expected" "$tmp/deb-files"
check "dpkg -c: every directory is root/root 0755" \
    [ -z "$(awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root")' "$tmp/deb-listing")" ]
dpkg-deb -x "$deb" "$tmp/deb"
# The profile: off unless enabled, in the Additional session block, interactive sessions
# only (common-session, not common-session-noninteractive: cron and the like), optional.
profile=$tmp/deb$PROFILE_FILE
check "profile: Default: no" grep -qx 'Default: no' "$profile"
check "profile: Session-Type: Additional" grep -qx 'Session-Type: Additional' "$profile"
check "profile: Session-Interactive-Only: yes" grep -qx 'Session-Interactive-Only: yes' "$profile"
# deny=off: an optional line cannot enforce a refusal, so it never claims one (warn-only).
check "profile: the Session line is 'optional pam_scnet_quota.so deny=off'" \
    [ "$(sed -n '/^Session:/{n;p;}' "$profile" | tr -s ' \t' ' ')" = " optional pam_scnet_quota.so deny=off" ]
check "no build or source path inside any packaged file" \
    [ -z "$(grep -rlaF -e "$build" -e "$src/" "$tmp/deb" --exclude-dir=DEBIAN)" ]
check "the module, the command and the helper are stripped" \
    [ -z "$(file "$tmp/deb$pam_dir/pam_scnet_quota.so" "$tmp/deb/usr/bin/scnet-quota" \
        "$tmp/deb$helper_dir/scnet-quota-fetch" | grep -v ', stripped$')" ]
check "the module looks for the helper where the package puts it" \
    grep -qaF "$helper_dir/scnet-quota-fetch" "$tmp/deb$pam_dir/pam_scnet_quota.so"
check "copyright is the MIT (Expat) licence" \
    grep -q '^License: Expat' "$tmp/deb/usr/share/doc/$DEB_NAME/copyright"
if command -v lintian >/dev/null; then
    lintian --tag-display-limit 0 "$deb" >"$tmp/lintian" 2>&1
    grep -v 'running with root privileges is not recommended' "$tmp/lintian" >"$tmp/lintian.findings"
    say "# lintian findings (errors fail the test; warnings and info are shown):"
    sed 's/^/    | /' "$tmp/lintian.findings"
    check "lintian reports no error" [ -z "$(grep '^E:' "$tmp/lintian.findings")" ]
else
    say "# lintian not installed: skipped (apt-get install lintian)"
fi

# ---------------------------------------------------------------------------------------
# 2. Installed with dpkg -i: the files where PAM, the shell and man look for them.

say "== dpkg -i"
# pam-auth-update (postinst, --enable, prerm) rewrites these: saved, put back at exit.
for f in "${COMMON_FILES[@]}"; do cp -p "$f" "$tmp/pam-saved/" || die "cannot save $f"; done
cp -a "$PAM_STATE_DIR" "$tmp/pam-saved/state" || die "cannot save $PAM_STATE_DIR"
pam_saved=1
t0=$EPOCHREALTIME
installed=1 # from here on the trap purges it, whatever dpkg -i managed to do
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1
rc=$?
check "dpkg -i exits 0 (got $rc) in $(elapsed "$t0") s" [ "$rc" = 0 ] || {
    show_file "dpkg -i" "$tmp/dpkg-i.log"
    die "cannot go on without the package installed"
}
check "dpkg: $DEB_NAME is installed" \
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$DEB_NAME")" = "ii " ]
check "the PAM directory holds pam_unix.so (it is the system's)" [ -e "$pam_dir/pam_unix.so" ]
check "module in $pam_dir, 0644 root:root (got $(mode_owner "$pam_dir/pam_scnet_quota.so"))" \
    [ "$(mode_owner "$pam_dir/pam_scnet_quota.so")" = "644 root:root" ]
on_path=$(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -c 'command -v scnet-quota')
check "scnet-quota on PATH is /usr/bin/scnet-quota (got '$on_path')" [ "$on_path" = /usr/bin/scnet-quota ]
check "scnet-quota 0755 root:root (got $(mode_owner /usr/bin/scnet-quota))" \
    [ "$(mode_owner /usr/bin/scnet-quota)" = "755 root:root" ]
check "scnet-quota --version says $version" grep -qF "$version" <(scnet-quota --version 2>&1)
check "helper $helper_dir/scnet-quota-fetch 0755 root:root in a 0755 root:root folder (got $(mode_owner "$helper_dir/scnet-quota-fetch"), $(mode_owner "$helper_dir"))" \
    [ "$(mode_owner "$helper_dir/scnet-quota-fetch")" = "755 root:root" ] &&
    [ "$(mode_owner "$helper_dir")" = "755 root:root" ]
check "refresh timer installed where systemd looks, running /usr/bin/scnet-quota --refresh" \
    grep -qxF 'ExecStart=/usr/bin/scnet-quota --refresh' "$unit_dir/pam-scnet-quota-refresh.service"
check "refresh timer installed disabled (nothing in timers.target.wants)" \
    [ ! -e /etc/systemd/system/timers.target.wants/pam-scnet-quota-refresh.timer ]
check "--now service installed where systemd looks, running $helper_dir/scnet-quota-now" \
    grep -qxF "ExecStart=$helper_dir/scnet-quota-now" "$unit_dir/pam-scnet-quota-now@.service"
check "--now socket installed disabled (nothing in sockets.target.wants)" \
    [ ! -e /etc/systemd/system/sockets.target.wants/pam-scnet-quota-now.socket ]
check "--now service program 0755 root:root (got $(mode_owner "$helper_dir/scnet-quota-now"))" \
    [ "$(mode_owner "$helper_dir/scnet-quota-now")" = "755 root:root" ]
check "example config 0644 root:root (got $(mode_owner /etc/security/pam_scnet_quota.conf.example))" \
    [ "$(mode_owner /etc/security/pam_scnet_quota.conf.example)" = "644 root:root" ]
check "no live config installed" [ ! -e "$LIVE_CONF" ]
for f in "${GATE_FILES[@]}"; do
    check "login-shell gate $f 0644 root:root, as in the source (got $(mode_owner "$f"))" \
        [ "$(mode_owner "$f")" = "644 root:root" ] &&
        cmp -s "$f" "$src/packaging/profile.d/$(basename "$f")"
done
check "$CSH_LINK is a link to the csh gate (got '$(readlink "$CSH_LINK")')" \
    [ -L "$CSH_LINK" -a "$(readlink -f "$CSH_LINK")" = /etc/profile.d/scnet-quota.csh ]
if command -v tcsh >/dev/null; then
    # A tcsh login shell as sshd starts one for `ssh host` (on a terminal, interactive), with
    # the module's variable: Debian's /etc/csh.login reads /etc/csh/login.d/, so the gate
    # shows the refusal and ends the shell before anything typed runs.
    mkdir -p "$tmp/csh-home"
    HOME=$tmp/csh-home SCNET_QUOTA_REFUSAL='Login refused: test-deb csh gate' \
        python3 "$src/tests/gate/on_pty.py" 'echo INSIDE""SHELL; exit
' sh -c 'exec "$@" 2>"$0"' "$tmp/out/tcsh.err" tcsh -l >"$tmp/out/tcsh.out"
    rc=$?
    check "tcsh login shell on a terminal with SCNET_QUOTA_REFUSAL: ends, exit 1 (got $rc)" [ "$rc" = 1 ] ||
        show_run tcsh
    check "... the refusal on stderr" grep -qx 'Login refused: test-deb csh gate' "$tmp/out/tcsh.err"
    check "... nothing typed ran" not_contains "$tmp/out/tcsh.out" INSIDESHELL
else
    say "SKIP: tcsh not installed: the tcsh login through /etc/csh/login.d is not run (scripts/install-deps.sh installs it)"
fi
# The admin enables the timer. Without systemd as PID 1, systemctl makes the link, then fails.
timer_enabled=1
systemctl enable "$TIMER" >"$tmp/enable-timer.log" 2>&1
check "systemctl enable $TIMER made $TIMER_LINK" [ -L "$TIMER_LINK" ] || show_file "systemctl enable" "$tmp/enable-timer.log"
check "the profile is installed as $PROFILE_FILE, 0644 root:root (got $(mode_owner "$PROFILE_FILE"))" \
    [ "$(mode_owner "$PROFILE_FILE")" = "644 root:root" ]
for f in "${COMMON_FILES[@]}"; do
    check "dpkg -i left $f as it was (the profile is not enabled)" cmp -s "$f" "$tmp/pam-saved/$(basename "$f")"
done
check "no cache folder made by the package (the module makes it, 0700)" [ ! -e "$CACHE_DIR" ]
if [ "${#man_pages[@]}" = 0 ]; then
    say "# no man/*.[158] in the sources: no man page to look up"
fi
for page in ${man_pages[@]+"${man_pages[@]}"}; do
    name=${page%.*} section=${page##*.}
    found=$(man -w "$section" "$name" 2>/dev/null)
    check "man -w $section $name finds /usr/share/man/man$section/$page.gz (got '$found')" \
        [ "$found" = "/usr/share/man/man$section/$page.gz" ]
done
found=$(man -w pam_scnet_quota 2>/dev/null)
if [ -f "$src/man/pam_scnet_quota.8" ]; then
    check "man -w pam_scnet_quota finds the section 8 page (got '$found')" \
        [ "$found" = /usr/share/man/man8/pam_scnet_quota.8.gz ]
fi

# ---------------------------------------------------------------------------------------
# 3. A real PAM service naming the module bare, against the simulator.

say "== /etc/pam.d/$SERVICE with pamtester"
"$support/sim-start.sh" "$tmp/sim" >"$tmp/sim-start.out" 2>&1 ||
    { cat "$tmp/sim-start.out" >&2; die "the simulator did not start"; }
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' \
    "$tmp/sim/ready.json") || die "no https_port in $tmp/sim/ready.json"
check "the token file is 0600 root:root (got $(mode_owner "$tmp/sim/token"))" \
    [ "$(mode_owner "$tmp/sim/token")" = "600 root:root" ]
# cache_dir is left at its default: the module must make /var/cache/pam_scnet_quota itself.
cat >"$tmp/scnet.conf" <<EOF
# pam_scnet_quota configuration written by tests/package/test-deb.sh
url = https://127.0.0.1:$https_port
token_file = $tmp/sim/token
cafile = $tmp/sim/certs/ca.pem
timeout = 5
warn = 90
deny = 100
lang = en
EOF
chmod 0644 "$tmp/scnet.conf"
# The same settings as the admin's own config, which the profile's line (no conf=) reads.
live_conf_written=1
install -m 0644 "$tmp/scnet.conf" "$LIVE_CONF" || die "cannot write $LIVE_CONF"

for u in "${TEST_USERS[@]}"; do
    uid=$(free_uid)
    useradd -M -u "$uid" -s /usr/sbin/nologin "$u" >"$tmp/useradd.log" 2>&1 ||
        { cat "$tmp/useradd.log" >&2; die "useradd $u failed"; }
    created_users+=("$u")
done

pam_files_written=1
cat >"$PAM_FILE" <<EOF || die "cannot write $PAM_FILE"
#%PAM-1.0
# Written by pam_scnet_quota tests/package/test-deb.sh; removed when the test ends.
auth     required pam_permit.so
account  required pam_permit.so
session  required pam_scnet_quota.so conf=$tmp/scnet.conf
session  required pam_permit.so
EOF
chmod 0644 "$PAM_FILE"
cp -p "$PAM_FILE" "$tmp/pam-file"
# A service like Debian's sshd or login: its session stack is common-session.
cat >"$COMMON_PAM_FILE" <<EOF || die "cannot write $COMMON_PAM_FILE"
#%PAM-1.0
# Written by pam_scnet_quota tests/package/test-deb.sh; removed when the test ends.
auth     required pam_permit.so
account  required pam_permit.so
@include common-session
EOF
chmod 0644 "$COMMON_PAM_FILE"

run_pamtester() { # NAME SERVICE USER: leaves $tmp/out/NAME.{out,err}, sets pt_rc
    timeout -k 5 30 pamtester "$2" "$3" open_session </dev/null \
        >"$tmp/out/$1.out" 2>"$tmp/out/$1.err"
    pt_rc=$?
}
show_run() {
    show_file "$1 stdout" "$tmp/out/$1.out"
    show_file "$1 stderr" "$tmp/out/$1.err"
}

run_pamtester near "$SERVICE" near
check "near (93%): pamtester open_session exits 0 (got $pt_rc)" [ "$pt_rc" = 0 ] || show_run near
for fragment in WARNING /public/home/near 651.0 700.0 93.0%; do
    check "near: the banner on stdout contains '$fragment'" contains "$tmp/out/near.out" "$fragment" ||
        show_run near
done
check "near: pamtester reports the session opened" \
    contains "$tmp/out/near.out" "successfully opened a session"

run_pamtester over "$SERVICE" over
check "over (105%, deny = 100): pamtester open_session fails (got $pt_rc)" [ "$pt_rc" != 0 ] ||
    show_run over
for fragment in "Login refused" /public/home/over 735.0 105.0%; do
    check "over: the refusal on stderr contains '$fragment'" contains "$tmp/out/over.err" "$fragment" ||
        show_run over
done
check "over: no session opened" not_contains "$tmp/out/over.out" "successfully opened"
check "the module made $CACHE_DIR, 0700 root:root (got $(mode_owner "$CACHE_DIR"))" \
    [ "$(mode_owner "$CACHE_DIR")" = "700 root:root" ]
check "the module made $RECORD_DIR, 0711 root:root (got $(mode_owner "$RECORD_DIR"))" \
    [ "$(mode_owner "$RECORD_DIR")" = "711 root:root" ]
near_uid=$(id -u near)
check "near's record: root's, 0440 (its ACL lets near read it), and scnet-quota as near shows it" \
    sh -c '[ "$(stat -c "%a %U:%G" "$1/$2")" = "440 root:root" ] &&
        setpriv --reuid="$2" --regid="$(id -g near)" --clear-groups /usr/bin/scnet-quota |
        grep -q "^  /public/home/near  651.0 GB of 700.0 GB  93.0%  \[##################--\]$"' \
    - "$RECORD_DIR" "$near_uid"

# ---------------------------------------------------------------------------------------
# 4. The pam-auth-update profile: enabled by the admin, through common-session.

say "== pam-auth-update --enable $PROFILE, /etc/pam.d/$COMMON_SERVICE with pamtester"
run_pamtester common-before "$COMMON_SERVICE" near
check "before --enable: near logs in through common-session (got $pt_rc)" [ "$pt_rc" = 0 ] ||
    show_run common-before
check "before --enable: no banner (the module is in no common stack)" \
    not_contains "$tmp/out/common-before.out" WARNING
DEBIAN_FRONTEND=noninteractive pam-auth-update --enable "$PROFILE" >"$tmp/enable.log" 2>&1
rc=$?
check "pam-auth-update --enable $PROFILE exits 0 (got $rc)" [ "$rc" = 0 ] || show_file enable "$tmp/enable.log"
say "# /etc/pam.d/common-session now:"
grep -v '^#' /etc/pam.d/common-session | sed 's/^/    | /'
check "common-session has the profile's line 'session optional pam_scnet_quota.so deny=off'" \
    [ "$(grep -E '^session[[:space:]]' /etc/pam.d/common-session | grep pam_scnet_quota | tr -s ' \t' ' ' | sed 's/ $//')" = \
        "session optional pam_scnet_quota.so deny=off" ]
check "common-session-noninteractive does not name the module (interactive sessions only)" \
    not_contains /etc/pam.d/common-session-noninteractive pam_scnet_quota

run_pamtester common-near "$COMMON_SERVICE" near
check "near through common-session: pamtester open_session exits 0 (got $pt_rc)" [ "$pt_rc" = 0 ] ||
    show_run common-near
for fragment in WARNING /public/home/near 93.0%; do
    check "near through common-session: the banner contains '$fragment'" \
        contains "$tmp/out/common-near.out" "$fragment" || show_run common-near
done
# The profile is warn-only (deny=off): over deny, the user reads the warning, never a
# refusal the optional line would not enforce (README: required, in one service, for deny).
run_pamtester common-over "$COMMON_SERVICE" over
check "over through common-session (optional): the session still opens (got $pt_rc)" [ "$pt_rc" = 0 ] ||
    show_run common-over
check "over through common-session: the warning 'your storage quota is full' is shown" \
    contains "$tmp/out/common-over.out" "WARNING: your storage quota is full." || show_run common-over
check "over through common-session: no 'Login refused' (the profile does not enforce it)" \
    not_contains "$tmp/out/common-over.err" "Login refused" || show_run common-over

# ---------------------------------------------------------------------------------------
# 5. The installed admin command, from PATH.

say "== scnet-quota from PATH"
clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
"${clean_env[@]}" scnet-quota --check-config --conf "$tmp/scnet.conf" >"$tmp/out/check.out" 2>&1
rc=$?
check "scnet-quota --check-config exits 0 (got $rc)" [ "$rc" = 0 ] || show_file check "$tmp/out/check.out"
check "--check-config says 'configuration: ok'" grep -q '^configuration: ok' "$tmp/out/check.out" ||
    show_file check "$tmp/out/check.out"
check "--check-config does not print the token" not_contains "$tmp/out/check.out" "$(head -n1 "$tmp/sim/token")"
"${clean_env[@]}" scnet-quota --conf "$tmp/scnet.conf" over >"$tmp/out/tool-over.out" 2>&1
rc=$?
check "scnet-quota over: exit 1, refused (got $rc)" [ "$rc" = 1 ] || show_file tool-over "$tmp/out/tool-over.out"

# ---------------------------------------------------------------------------------------
# 6. dpkg -r, then dpkg -P: nothing of the package left.

say "== dpkg -r refused while a line written by hand names the module; dpkg -r, dpkg -P"
# An account line, as the README offers, written by hand in a service of its own; with the
# session line of $SERVICE and the profile's line in common-session.
pam_files_written=1
cat >"$ACCT_PAM_FILE" <<EOF || die "cannot write $ACCT_PAM_FILE"
#%PAM-1.0
# Written by pam_scnet_quota tests/package/test-deb.sh; removed when the test ends.
auth     required pam_permit.so
account  required pam_scnet_quota.so conf=$tmp/scnet.conf
account  required pam_permit.so
session  required pam_permit.so
EOF
cp -p /etc/pam.d/common-session "$tmp/common-session.enabled"
dpkg -r "$DEB_NAME" >"$tmp/dpkg-r-refused.out" 2>"$tmp/dpkg-r-refused.err"
rc=$?
check "dpkg -r with lines written by hand: refused (exit $rc)" [ "$rc" != 0 ]
# dpkg marks it for removal (selection deinstall) but leaves it installed, files and all.
check "... the package is still installed (got '$(dpkg-query -W -f='${db:Status-Status}' "$DEB_NAME")')" \
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$DEB_NAME")" = installed ]
check "... the module is still there" [ -e "$pam_dir/pam_scnet_quota.so" ]
refusal=$(grep -F "$DEB_NAME: not removed:" "$tmp/dpkg-r-refused.err")
check "... one line says so (got: $refusal)" [ "$(grep -c . <<<"$refusal")" = 1 ] ||
    show_file "dpkg -r stderr" "$tmp/dpkg-r-refused.err"
check "... it names $ACCT_PAM_FILE (the account line)" grep -qF " $ACCT_PAM_FILE " <<<"$refusal"
check "... it names $PAM_FILE (the session line)" grep -qF " $PAM_FILE " <<<"$refusal"
check "... it names the override SCNET_QUOTA_FORCE_REMOVE=1" grep -qF SCNET_QUOTA_FORCE_REMOVE=1 <<<"$refusal"
check "... it does not count the profile's own line in common-session" \
    not_contains "$tmp/dpkg-r-refused.err" common-session
check "... the profile is still enabled: common-session unchanged" \
    cmp -s /etc/pam.d/common-session "$tmp/common-session.enabled"
timeout -k 5 30 pamtester "$ACCT_SERVICE" near acct_mgmt >"$tmp/out/acct.out" 2>&1
rc=$?
check "... near still passes the account stage that names the module (got $rc)" [ "$rc" = 0 ] ||
    show_file acct "$tmp/out/acct.out"
run_pamtester refused-near "$SERVICE" near
check "... near still logs in through $SERVICE (got $pt_rc)" [ "$pt_rc" = 0 ] || show_run refused-near
# The admin takes their lines out: only the profile names the module now.
rm -f "$PAM_FILE" "$ACCT_PAM_FILE"
dpkg -r "$DEB_NAME" >"$tmp/dpkg-r.out" 2>"$tmp/dpkg-r.err"
rc=$?
check "dpkg -r with the profile only: exits 0 (got $rc)" [ "$rc" = 0 ] || show_file "dpkg -r" "$tmp/dpkg-r.err"
check "after dpkg -r: common-session has no pam_scnet_quota line (prerm removed the profile)" \
    not_contains /etc/pam.d/common-session pam_scnet_quota
for f in "${COMMON_FILES[@]}"; do
    check "after dpkg -r: $f is as before the test, byte for byte" cmp -s "$f" "$tmp/pam-saved/$(basename "$f")" ||
        diff "$tmp/pam-saved/$(basename "$f")" "$f" | sed 's/^/    | /'
done
check "after dpkg -r: $PROFILE_FILE is gone" [ ! -e "$PROFILE_FILE" ]
run_pamtester common-gone "$COMMON_SERVICE" near
check "after dpkg -r: near still logs in through common-session (got $pt_rc)" [ "$pt_rc" = 0 ] ||
    show_run common-gone
check "after dpkg -r: ... with no banner" not_contains "$tmp/out/common-gone.out" WARNING
for f in "$pam_dir/pam_scnet_quota.so" /usr/bin/scnet-quota /usr/share/doc/$DEB_NAME/copyright \
    "$helper_dir/scnet-quota-fetch"; do
    check "after dpkg -r: $f is gone" [ ! -e "$f" ]
done
for page in ${man_pages[@]+"${man_pages[@]}"}; do
    check "after dpkg -r: man page $page is gone" [ ! -e "/usr/share/man/man${page##*.}/$page.gz" ]
done
check "after dpkg -r: $CSH_LINK is gone" [ ! -L "$CSH_LINK" -a ! -e "$CSH_LINK" ]
check "after dpkg -r: the example (a conffile) stays until purge" \
    [ -e /etc/security/pam_scnet_quota.conf.example ]
check "after dpkg -r: the login-shell gate (conffiles) stays until purge" \
    [ -e "${GATE_FILES[0]}" ] && [ -e "${GATE_FILES[1]}" ]
check "after dpkg -r: the cache stays until purge" [ -d "$CACHE_DIR" ]
check "after dpkg -r: dpkg status is 'rc' (config files)" \
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$DEB_NAME")" = "rc " ]
# Why prerm refuses: a "required" line naming a module that is gone fails the whole stack.
cp "$tmp/pam-file" "$PAM_FILE"
run_pamtester gone "$SERVICE" near
check "after dpkg -r: a service naming the module by hand would refuse near (got $pt_rc)" [ "$pt_rc" != 0 ]
rm -f "$PAM_FILE"

dpkg -P "$DEB_NAME" >"$tmp/dpkg-p.log" 2>&1
rc=$?
check "dpkg -P exits 0 (got $rc)" [ "$rc" = 0 ] || show_file "dpkg -P" "$tmp/dpkg-p.log"
[ "$rc" = 0 ] && installed=0
check "after dpkg -P: the example is gone" [ ! -e /etc/security/pam_scnet_quota.conf.example ]
check "after dpkg -P: no $TIMER_LINK left (dangling or not)" [ ! -L "$TIMER_LINK" -a ! -e "$TIMER_LINK" ]
check "after dpkg -P: no mask $TIMER_MASK left" [ ! -L "$TIMER_MASK" -a ! -e "$TIMER_MASK" ]
check "after dpkg -P: no $CSH_LINK" [ ! -L "$CSH_LINK" ]
check "after dpkg -P: the login-shell gate is gone" [ ! -e "${GATE_FILES[0]}" ] && [ ! -e "${GATE_FILES[1]}" ]
check "after dpkg -P: $CACHE_DIR (cached answers, maybe a token) is gone" [ ! -e "$CACHE_DIR" ]
check "after dpkg -P: $RECORD_DIR (the users' records) is gone" [ ! -e "$RECORD_DIR" ]
check "after dpkg -P: the admin's $LIVE_CONF is left alone" \
    cmp -s "$LIVE_CONF" "$tmp/scnet.conf"
check "postrm says it left the admin's $LIVE_CONF in place" \
    grep -qF "left your files in place: $LIVE_CONF" "$tmp/dpkg-p.log" || show_file "dpkg -P" "$tmp/dpkg-p.log"
say "# purge kept the admin's files, as postrm said:"
grep -F 'libpam-scnet-quota:' "$tmp/dpkg-p.log" | sed 's/^/    | /' 
check "after dpkg -P: /usr/share/doc/$DEB_NAME is gone" [ ! -e "/usr/share/doc/$DEB_NAME" ]
check "after dpkg -P: dpkg knows nothing of $DEB_NAME" \
    [ -z "$(dpkg-query -W -f='${db:Status-Abbrev}' "$DEB_NAME" 2>/dev/null | grep -v '^un')" ]
check "after dpkg -P: the PAM directory still holds pam_unix.so" [ -e "$pam_dir/pam_unix.so" ]

say "# total $(elapsed "$t_start") s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]
