#!/bin/bash
# The SELinux policy module (packaging/selinux/pam_scnet_quota.{te,fc,if}), checked on Debian:
#   1. lint: no apostrophe in a comment (an m4 quote: everything after it up to the next
#      quote is silently dropped from the policy), module name = file name
#   2. the reference policy devel Makefile (selinux-policy-dev) builds pam_scnet_quota.pp
#      (m4 + checkmodule + semodule_package); any output on stderr is a failure
#   3. the same module by hand: checkmodule -M -m on the m4-expanded .te, semodule_package
#      with the m4-expanded .fc; both packages must be identical, and the file contexts
#      must be in it (semodule_unpackage) and win over the system ones (matchpathcon)
#   4. a tiny test module calls every interface of the .if
#   5. link and expand both modules with Debian's reference policy (selinux-policy-default:
#      base + ssh, su, unconfined and the role modules), which proves every required type
#      exists, then ask sesearch/seinfo about the resulting kernel policy: what the helper
#      may connect to, the transitions, the booleans, and that the login domains get no
#      network right from this module (same rules with and without it)
#   6. policy coverage (tests/selinux/, README.md there): the whole Debian policy (every module
#      of selinux-policy-default plus this one) built in a private store (semodule -p), real
#      logins through the module traced with strace (tests/selinux/trace-logins.sh: cold and
#      warm cache, auth = token and aksk, the deadline kill, scnet-quota --refresh, the
#      service of scnet-quota --now answering a connection, DNS), and
#      every access mapped to (domain, type, class, permission) with that policy's own file
#      contexts and asked of it (tests/selinux/policy_coverage.py): any access it would deny
#      or audit fails the run, listed. Needs root (the traces run in unshare -mn).
# What this cannot prove: that an enforcing RHEL/Kylin node runs the module without AVC
# denials (their policies differ from Debian's; see README, SELinux). Steps 1-5 take about 12 s
# of CPU; step 6 about 70 s on 2 cores (the store 35 s, the build of build-selinux/ 20 s when
# it is not there yet, the traces 6 s, the analysis 10 s).
#
#   usage: scripts/ci-selinux.sh          (packages: scripts/install-deps.sh; KEEP=1 keeps
#                                          the work folder under /tmp for a look)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD/packaging/selinux
mod=pam_scnet_quota
devel_makefile=/usr/share/selinux/devel/Makefile
refpolicy_modules=/usr/share/selinux/default

fail() {
    echo "ci-selinux: FAILED: $*" >&2
    exit 1
}
for tool in checkmodule semodule_package semodule_unpackage semodule_link semodule_expand m4 sesearch seinfo \
    matchpathcon; do
    command -v "$tool" >/dev/null || fail "$tool missing (scripts/install-deps.sh)"
done
[ -f "$devel_makefile" ] || fail "$devel_makefile missing (selinux-policy-dev)"
[ -f "$refpolicy_modules/base.pp.bz2" ] || fail "$refpolicy_modules/base.pp.bz2 missing (selinux-policy-default)"

work=$(mktemp -d /tmp/ci-selinux.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# ---- 1. lint
for f in "$src/$mod.te" "$src/$mod.if" "$src/$mod.fc"; do
    [ -f "$f" ] || fail "$f missing"
    if grep -n "^[[:space:]]*#.*'" "$f" | grep -v '^[0-9]*:#line'; then
        fail "$f: apostrophe in a comment (m4 quote; rules after it would vanish)"
    fi
done
grep -q "^policy_module($mod, [0-9.]*)$" "$src/$mod.te" || fail "$mod.te: policy_module($mod, VERSION) missing"
echo "lint: ok"

# ---- 2. the reference policy devel Makefile
mkdir "$work/make"
cp "$src/$mod.te" "$src/$mod.if" "$src/$mod.fc" "$work/make/"
if ! make -C "$work/make" -f "$devel_makefile" "$mod.pp" >"$work/make.out" 2>"$work/make.err"; then
    cat "$work/make.out" "$work/make.err" >&2
    fail "devel Makefile"
fi
if [ -s "$work/make.err" ]; then
    cat "$work/make.err" >&2
    fail "devel Makefile wrote to stderr"
fi
echo "devel Makefile: ok ($(stat -c %s "$work/make/$mod.pp") bytes)"

# ---- 3. checkmodule -M -m + semodule_package on the m4-expanded sources
# The .te is expanded by the same m4 run as the Makefile's (its tmp/ keeps it); the .fc
# is expanded here from the policy headers' support macros.
expanded=$work/make/tmp/$mod.tmp
[ -s "$expanded" ] || fail "no m4-expanded .te in the Makefile's tmp/"
m4_params=(-D enable_mcs -D distro_debian -D init_systemd -D mls_num_sens=16 -D mls_num_cats=1024 -D mcs_num_cats=1024)
m4 "${m4_params[@]}" /usr/share/selinux/devel/include/support/*.spt "$src/$mod.fc" >"$work/$mod.fc.expanded"
checkmodule -M -m -o "$work/$mod.mod" "$expanded" >"$work/checkmodule.out" 2>&1 ||
    { cat "$work/checkmodule.out" >&2; fail "checkmodule -M -m"; }
if grep -Ei 'warning|error' "$work/checkmodule.out"; then fail "checkmodule warned"; fi
semodule_package -o "$work/$mod.pp" -m "$work/$mod.mod" -f "$work/$mod.fc.expanded" 2>"$work/package.err" ||
    { cat "$work/package.err" >&2; fail "semodule_package"; }
[ ! -s "$work/package.err" ] || { cat "$work/package.err" >&2; fail "semodule_package wrote to stderr"; }
cmp -s "$work/$mod.pp" "$work/make/$mod.pp" || fail "checkmodule+semodule_package and the Makefile made different packages"
semodule_unpackage "$work/$mod.pp" "$work/unpacked.mod" "$work/unpacked.fc"
for want in \
    '^/usr/libexec/pam_scnet_quota/scnet-quota-fetch[[:space:]]+--[[:space:]]+system_u:object_r:pam_scnet_quota_fetch_exec_t:s0$' \
    '^/var/cache/pam_scnet_quota\(/\.\*\)\?[[:space:]]+system_u:object_r:pam_scnet_quota_cache_t:s0$' \
    '^/etc/security/pam_scnet_quota\\\.token[[:space:]]+--[[:space:]]+system_u:object_r:pam_scnet_quota_secret_t:s0$'; do
    grep -Eq "$want" "$work/unpacked.fc" || { cat "$work/unpacked.fc" >&2; fail "file contexts in the package: no line matching $want"; }
done
echo "checkmodule -M -m + semodule_package: ok (same package, file contexts inside)"
# What restorecon would give each path: Debian's file contexts plus the module's (the most
# specific entry wins, so a broader system entry such as /usr/libexec(/.*)? must lose).
system_fc=/etc/selinux/default/contexts/files/file_contexts
[ -f "$system_fc" ] || fail "$system_fc missing (selinux-policy-default)"
cat "$system_fc" "$work/unpacked.fc" >"$work/all.fc"
while read -r path type; do
    got=$(matchpathcon -f "$work/all.fc" "$path" | awk '{print $2}')
    [ "$got" = "system_u:object_r:$type:s0" ] || fail "restorecon would label $path $got, not $type"
done <<'EOF'
/usr/libexec/pam_scnet_quota/scnet-quota-fetch pam_scnet_quota_fetch_exec_t
/usr/local/libexec/pam_scnet_quota/scnet-quota-fetch pam_scnet_quota_fetch_exec_t
/usr/libexec/pam_scnet_quota bin_t
/var/cache/pam_scnet_quota pam_scnet_quota_cache_t
/var/cache/pam_scnet_quota/alice.cache pam_scnet_quota_cache_t
/var/cache/pam_scnet_quota/token.lock pam_scnet_quota_cache_t
/var/cache/pam_scnet_quota-users pam_scnet_quota_record_t
/var/cache/pam_scnet_quota-users/1000 pam_scnet_quota_record_t
/var/cache var_t
/etc/security/pam_scnet_quota.token pam_scnet_quota_secret_t
/etc/security/pam_scnet_quota.credentials pam_scnet_quota_secret_t
/etc/security/pam_scnet_quota.conf etc_t
/usr/libexec/pam_scnet_quota/scnet-quota-now pam_scnet_quota_now_exec_t
/run/pam_scnet_quota pam_scnet_quota_runtime_t
/run/pam_scnet_quota/now.sock pam_scnet_quota_runtime_t
EOF
echo "file contexts: each path gets its type"

# ---- 4. every interface of the .if, called from a test module
mkdir "$work/iftest"
cp "$src/$mod.te" "$src/$mod.if" "$src/$mod.fc" "$work/iftest/"
cat >"$work/iftest/scnetqiftest.te" <<'EOF'
policy_module(scnetqiftest, 1.0)
type scnetqiftest_t;
domain_type(scnetqiftest_t)
role system_r types scnetqiftest_t;
pam_scnet_quota_pam_host(scnetqiftest_t, system_r)
type scnetqiftest_parts_t;
domain_type(scnetqiftest_parts_t)
pam_scnet_quota_run_fetch(scnetqiftest_parts_t, system_r)
pam_scnet_quota_domtrans_fetch(scnetqiftest_parts_t)
pam_scnet_quota_manage_cache(scnetqiftest_parts_t)
pam_scnet_quota_read_records(scnetqiftest_parts_t)
pam_scnet_quota_connect_now(scnetqiftest_parts_t)
pam_scnet_quota_cache_filetrans(scnetqiftest_parts_t)
pam_scnet_quota_read_secrets(scnetqiftest_parts_t)
pam_scnet_quota_secret_filetrans(scnetqiftest_parts_t)
type scnetqiftest_setup_t;
domain_type(scnetqiftest_setup_t)
pam_scnet_quota_setup_cache_dir(scnetqiftest_setup_t)
EOF
interfaces=$(sed -n "s/^interface(\`\([a-z_]*\)'.*/\1/p" "$src/$mod.if")
[ -n "$interfaces" ] || fail "no interface found in $mod.if"
for i in $interfaces; do
    grep -q "^$i(" "$work/iftest/scnetqiftest.te" || fail "interface $i: add a call to the interface test"
done
make -C "$work/iftest" -f "$devel_makefile" scnetqiftest.pp >"$work/iftest.out" 2>&1 ||
    { cat "$work/iftest.out" >&2; fail "interface test module"; }
echo "interfaces: $(echo "$interfaces" | wc -w) compile in a test module"

# ---- 5. link with Debian's reference policy, and ask the kernel policy
mkdir "$work/ref"
for m in base ssh su unconfined staff unprivuser auditadm secadm; do
    bunzip2 -c "$refpolicy_modules/$m.pp.bz2" >"$work/ref/$m.pp"
done
link_expand() { # output, module packages...
    local out=$1
    shift
    semodule_link -o "$out.lnk" "$@" >"$out.link.log" 2>&1 || { cat "$out.link.log" >&2; fail "semodule_link $*"; }
    semodule_expand "$out.lnk" "$out" >"$out.expand.log" 2>&1 || { cat "$out.expand.log" >&2; fail "semodule_expand $*"; }
}
ref=("$work/ref/base.pp" $(ls "$work"/ref/*.pp | grep -v /base.pp$)) # base first
link_expand "$work/without.bin" "${ref[@]}"
link_expand "$work/with.bin" "${ref[@]}" "$work/$mod.pp"
link_expand "$work/iftest.bin" "${ref[@]}" "$work/$mod.pp" "$work/iftest/scnetqiftest.pp"
# One dump per policy (each setools call loads the whole policy: about 0.6 s of CPU).
sesearch -A -T "$work/with.bin" >"$work/with.rules" || fail "sesearch"
sesearch -A -T "$work/iftest.bin" >"$work/iftest.rules" || fail "sesearch"
has() { # description, rules dump, expected rule (whole line)
    grep -qxF "$3" "$2" || fail "$1: no rule '$3'"
}
hasnt() { # description, rules dump, extended regex
    if grep -E "$3" "$2"; then fail "$1"; fi
}
rules=$work/with.rules
helper=pam_scnet_quota_fetch_t
has "helper connects to HTTP(S) ports" "$rules" "allow $helper http_port_t:tcp_socket name_connect;"
has "helper reaches a proxy only with the boolean" "$rules" \
    "allow $helper http_cache_port_t:tcp_socket name_connect; [ pam_scnet_quota_use_proxy ]:True"
has "helper reaches squid only with the boolean" "$rules" \
    "allow $helper squid_port_t:tcp_socket name_connect; [ pam_scnet_quota_use_proxy ]:True"
has "helper resolves names" "$rules" "allow $helper dns_port_t:tcp_socket name_connect;"
has "helper reads the CA store" "$rules" "allow $helper cert_t:file { getattr ioctl lock open read };"
# The cafile is read through the descriptor its caller checked, reopened as /proc/self/fd/3.
has "helper follows /proc/self" "$rules" "allow $helper proc_t:lnk_file { getattr read };"
sesearch -A -s $helper -t $helper -c lnk_file -p read "$work/with.bin" | grep -q . ||
    fail "helper may not read its own /proc/self/fd links"
# With attributes expanded: every port the helper may connect to, from any rule.
sesearch -A -s $helper -c tcp_socket -p name_connect "$work/with.bin" | sed 's/ \[.*//' | awk '{print $3}' | sort -u >"$work/ports"
printf '%s\n' dns_port_t:tcp_socket http_cache_port_t:tcp_socket http_port_t:tcp_socket squid_port_t:tcp_socket >"$work/ports.want"
diff -u "$work/ports.want" "$work/ports" || fail "helper may connect to more ports than DNS, HTTP and proxies"
hasnt "helper reads no secret and touches no cache file" "$rules" "^allow $helper pam_scnet_quota_(secret|cache)_t:"
hasnt "helper binds no port" "$rules" "^allow $helper .*name_bind"
for d in sshd_t:pam_scnet_quota_permit_sshd local_login_t:pam_scnet_quota_permit_local_login \
    sysadm_su_t:pam_scnet_quota_permit_su staff_su_t:pam_scnet_quota_permit_su user_su_t:pam_scnet_quota_permit_su; do
    dom=${d%%:*} bool=${d#*:}
    has "$dom runs the helper in its domain" "$rules" \
        "type_transition $dom pam_scnet_quota_fetch_exec_t:process $helper; [ $bool ]:True"
    has "$dom hands the helper its descriptors (the pipes, the checked cafile)" "$rules" \
        "allow $helper $dom:fd use; [ $bool ]:True"
    has "$dom kills the helper at the deadline" "$rules" \
        "allow $dom $helper:process { sigkill signal transition }; [ $bool ]:True"
    has "$dom labels the cache folder it creates" "$rules" \
        "type_transition $dom var_t:dir pam_scnet_quota_cache_t pam_scnet_quota;"
    has "$dom manages cache files" "$rules" \
        "allow $dom pam_scnet_quota_cache_t:file { append create getattr ioctl link lock open read rename setattr unlink write }; [ $bool ]:True"
    has "$dom reads the secrets" "$rules" \
        "allow $dom pam_scnet_quota_secret_t:file { getattr ioctl lock open read }; [ $bool ]:True"
done
hasnt "a login domain may write the secrets" "$rules" "^allow [a-z_]+ pam_scnet_quota_secret_t:file .*(write|append)"
has "root shell labels the cache folder" "$rules" \
    "type_transition unconfined_t var_t:dir pam_scnet_quota_cache_t pam_scnet_quota;"
has "root shell labels the token file" "$rules" \
    "type_transition unconfined_t etc_t:file pam_scnet_quota_secret_t pam_scnet_quota.token;"
has "systemd (init_t) creates the cache folder with its label (CacheDirectory=)" "$rules" \
    "type_transition init_t var_t:dir pam_scnet_quota_cache_t pam_scnet_quota;"
grep -qE "^allow init_t pam_scnet_quota_cache_t:dir \{.*create.*setattr.*\};" "$rules" ||
    fail "init_t may not create and set up the cache folder"
hasnt "init_t touches no cache file" "$rules" "^allow init_t pam_scnet_quota_cache_t:file"
grep -qE "^allow $helper locale_t:file \{.*read.*\};" "$rules" ||
    fail "helper may not read localization files (/etc/localtime, zoneinfo: locale_t)"
# No domain but the helper gets a network right from this module: the policy's socket
# rules with and without it differ only in the helper's lines.
for p in without with; do
    sesearch -A -c tcp_socket,udp_socket,netlink_route_socket "$work/$p.bin" | grep -v "^allow $helper " >"$work/net.$p" ||
        fail "sesearch"
done
diff -u "$work/net.without" "$work/net.with" || fail "$mod gives network rights to a domain other than the helper"
for b in pam_scnet_quota_permit_sshd:true pam_scnet_quota_permit_local_login:true \
    pam_scnet_quota_permit_su:true pam_scnet_quota_use_proxy:false; do
    # (seinfo lists the booleans of an expanded module policy only when asked by name)
    seinfo -x -b "${b%%:*}" "$work/with.bin" >"$work/boolean"
    grep -qx "[[:space:]]*bool ${b%%:*} ${b#*:};" "$work/boolean" ||
        { cat "$work/boolean" >&2; fail "boolean ${b%%:*} should default to ${b#*:}"; }
done
# scnet-quota --now: its service is entered from systemd, does a login's work for one user,
# runs the helper in the helper's domain, and has no network right (the diff above); every
# user domain may reach its socket.
now=pam_scnet_quota_now_t
has "systemd starts the --now service in its domain" "$rules" \
    "type_transition init_t pam_scnet_quota_now_exec_t:process $now;"
has "the --now service runs the helper in its domain" "$rules" \
    "type_transition $now pam_scnet_quota_fetch_exec_t:process $helper;"
has "the --now service manages the records (pace file, ACL)" "$rules" \
    "allow $now pam_scnet_quota_record_t:file { append create getattr ioctl link lock open read rename setattr unlink write };"
has "the --now service manages cache files" "$rules" \
    "allow $now pam_scnet_quota_cache_t:file { append create getattr ioctl link lock open read rename setattr unlink write };"
has "the --now service reads the secrets" "$rules" \
    "allow $now pam_scnet_quota_secret_t:file { getattr ioctl lock open read };"
grep -qE "^allow $now init_t:unix_stream_socket \{.*getopt.*read.*write.*\};" "$rules" ||
    fail "the --now service may not use the connection systemd accepted (getopt: SO_PEERCRED)"
hasnt "the --now service writes the secrets" "$rules" "^allow $now pam_scnet_quota_secret_t:file .*(write|append)"
grep -qE "^allow init_t pam_scnet_quota_runtime_t:sock_file \{.*create.*\};" "$rules" ||
    fail "systemd may not make the --now socket"
for dom in user_t staff_t sysadm_t; do
    [ -n "$(sesearch -A -s $dom -t init_t -c unix_stream_socket -p connectto "$work/with.bin")" ] ||
        fail "$dom may not connect to the --now socket (init_t)"
    [ -n "$(sesearch -A -s $dom -t pam_scnet_quota_runtime_t -c sock_file -p write "$work/with.bin")" ] ||
        fail "$dom may not write the --now socket file"
done
has "interface pam_scnet_quota_pam_host" "$work/iftest.rules" \
    "type_transition scnetqiftest_t pam_scnet_quota_fetch_exec_t:process $helper;"
has "interface pam_scnet_quota_secret_filetrans" "$work/iftest.rules" \
    "type_transition scnetqiftest_parts_t etc_t:file pam_scnet_quota_secret_t pam_scnet_quota.credentials;"
echo "linked with Debian's reference policy; sesearch/seinfo assertions: ok"

# ---- 6. policy coverage: real logins traced, every access asked of the whole Debian policy
[ "$(id -u)" = 0 ] || fail "policy coverage: needs root (the traces run in a private mount and network namespace)"
store=$work/store
mkdir -p "$store/etc/selinux" "$store/var/lib/selinux"
printf 'SELINUX=permissive\nSELINUXTYPE=default\n' >"$store/etc/selinux/config"
cp /etc/selinux/semanage.conf "$store/etc/selinux/"
start=$SECONDS
semodule -p "$store" -s default -N -i "$refpolicy_modules"/*.pp.bz2 "$work/make/$mod.pp" >"$work/store.log" 2>&1 ||
    { cat "$work/store.log" >&2; fail "semodule -p: the full policy with $mod"; }
kernel_policies=("$store"/etc/selinux/default/policy/policy.*)
kernel_policy=${kernel_policies[0]}
[ -f "$kernel_policy" ] || fail "semodule -p made no kernel policy"
debian_modules=("$refpolicy_modules"/*.pp.bz2)
echo "private store: ${#debian_modules[@]} Debian modules + $mod in $((SECONDS - start)) s"
build="build-selinux"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; fail "cmake"; }
cmake --build "$build" -j2 --target pam_scnet_quota scnet-quota-fetch scnet-quota scnet-quota-now >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; fail "build"; }
tests/selinux/trace-logins.sh "$build" "$work/traces" || fail "tracing the logins"
while read -r run rc; do
    [ "$rc" = 0 ] || { cat "$work/traces/$run.out" >&2; fail "traced run $run exited $rc"; }
done <"$work/traces/status"
/usr/bin/python3 tests/selinux/policy_coverage.py "$kernel_policy" \
    "$store/etc/selinux/default/contexts/files/file_contexts" "$work/traces" || fail "policy coverage"
echo "ci-selinux: all clean"
