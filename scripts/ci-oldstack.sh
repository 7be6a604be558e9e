#!/bin/bash
# CI lane on an older stack: Debian 11 "bullseye" (gcc 10, CMake 3.18, libcurl 7.74 with
# OpenSSL 1.1.1, Linux-PAM 1.4 without pam.pc, glibc 2.31, OpenSSH 8.4, rpm 4.16,
# pam_wrapper 1.1.3), the generation of RHEL 8, Kylin V10, openEuler 20.03, Ubuntu 20.04.
# Made fresh with debootstrap from the Debian mirror this machine's apt sources name; a
# fresh clone of this checkout inside; there, as root, the README's two commands unchanged:
# ./demo.sh (first, as a newcomer runs it: it installs only what it needs) and
# ./run-tests.sh (every label). Prints the time of each step; everything it mounted is
# unmounted and the chroot removed on exit, also on failure.
#
#   usage: scripts/ci-oldstack.sh          (root; debootstrap, git on the host)
#
# Measured on a quiet machine (2026-12-07): debootstrap 46 s, the demo with its packages and
# build 56 s, the full package set 126 s, build 29 s, tests 7.6 min; on 2 cores shared with
# six other builds (load ~16) the same steps took 7-11, 6.6, 27 (then with man-db's index),
# 3 and 21 min. Run by .ci/run after the hardening runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
suite=bullseye
say() { printf 'ci-oldstack: %s\n' "$*"; }
die() {
    say "$*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount, chroot)"
for tool in debootstrap git chroot mount umount findmnt; do
    command -v "$tool" >/dev/null || die "missing $tool (scripts/install-deps.sh installs it)"
done

# The Debian mirror this machine's apt uses: the first deb URI of a suite that is not a
# security one, from deb822 .sources files, then one-line .list files. Never a fixed host.
host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = "" }
             /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t\n]|$)/ && !/(^|\n)Suites:[^\n]*-security/ {
                 if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
                     u = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", u); print u
                 }
             }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -E 's/\[[^]]*\][[:space:]]*//' "$f" | awk '$1 == "deb" && $3 !~ /-security/ { print $2 }'
    done
}
mirror=$(host_mirror | sed -n 1p)
[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list{,.d/*.sources,.d/*.list}"

work=$(mktemp -d /var/tmp/scnet-oldstack.XXXXXX)
root=$work/root
# Lazy, recursive: everything mounted under the chroot goes, even while a process of a failed
# test still holds it. The tree is removed only once nothing is mounted under it: a bound
# /dev must never be deleted through the chroot.
cleanup() {
    local rc=$?
    if mountpoint -q "$root" 2>/dev/null || findmnt -rn -o TARGET | grep -q "^$root/"; then
        umount -R -l "$root" 2>/dev/null || true
    fi
    if findmnt -rn -o TARGET | grep -q "^$root\(/\|$\)"; then
        say "still mounted under $root: left in place" >&2
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

times=()
step() { # name command...: runs it, prints and records its time; a failure ends the lane
    local name=$1 start=$SECONDS rc=0
    shift
    say "== $name"
    "$@" || rc=$?
    times+=("$(printf '%-13s %5d s  %s' "$name" $((SECONDS - start)) "$([ "$rc" = 0 ] && echo ok || echo "FAILED ($rc)")")")
    say "$name: $((SECONDS - start)) s"
    if [ "$rc" != 0 ]; then
        say "step $name failed (exit $rc)" >&2
        printf '  %s\n' "${times[@]}"
        exit "$rc"
    fi
}
in_chroot() { # command string, run by bash as root in the clone, with a clean environment
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/pam_scnet_quota && $1"
}

make_root() {
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        return 1
    }
}
prepare_root() {
    # The chroot's / a mount point of its own (else unshare -m in the namespace tests fails:
    # "cannot change root filesystem propagation"), private, so that nothing mounted or
    # unmounted under it reaches the host; /dev a slave of the host's for the same reason.
    mount --bind "$root" "$root"
    mount --make-private "$root"
    mount -t proc proc "$root/proc"
    # /sys with its cgroup folders: systemd-analyze verify (tests/docs) needs them.
    mount --rbind /sys "$root/sys"
    mount --make-rslave "$root/sys"
    mount --rbind /dev "$root/dev"
    mount --make-rslave "$root/dev"
    # What an installed system has and debootstrap does not write.
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    # Package installs start no service (sshd) in the chroot: invoke-rc.d asks policy-rc.d.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    # No man-db index rebuild after each install: minutes on 2 cores, and nothing reads it.
    echo 'man-db man-db/auto-update boolean false' | chroot "$root" debconf-set-selections
    # Tests run programs as other users (setpriv), which must reach the build and its test
    # files (nss_wrapper's passwd, the tool): /root is 0700 in a fresh Debian; 0711 lets them
    # through without listing it. The clone stays under /root, as an admin's checkout often is.
    chmod 0711 "$root/root"
    git clone -q "$repo" "$root/root/pam_scnet_quota"
    say "$(chroot "$root" cat /etc/debian_version), mirror $mirror, clone of $(git -C "$repo" rev-parse --short HEAD)"
}

step debootstrap make_root
step prepare prepare_root
# The README's order: the demo first, on the bare chroot, as a newcomer runs it.
step demo in_chroot ./demo.sh
step dependencies in_chroot scripts/install-deps.sh
# run-tests.sh's own build commands, so that its run below is the tests alone.
step build in_chroot 'cmake -S . -B build -DSCNET_WERROR=ON >/dev/null && cmake --build build -j"$(nproc)" >/dev/null'
step tests in_chroot ./run-tests.sh
say "versions: $(in_chroot 'printf "%s; " "$(gcc -dumpfullversion)" "$(cmake --version | head -n 1)" "$(curl-config --version 2>/dev/null || dpkg-query -W -f="libcurl \${Version}" libcurl4-openssl-dev)" "$(openssl version)" "$(ssh -V 2>&1)" "$(rpm --version)"')"
say "steps:"
printf '  %s\n' "${times[@]}"
