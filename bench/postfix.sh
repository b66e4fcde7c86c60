# shellcheck shell=bash
# bench/postfix.sh - run a private Postfix MTA (Debian's postfix package,
# unpacked but NOT installed) as a throughput reference for the benchmark.
#
# Source this file, then:
#   postfix_unpack                          # fetch + unpack the .deb if missing
#   postfix_start DIR SMTP_PORT RELAY_PORT  # smtpd on 127.0.0.1:SMTP_PORT,
#                                           # relays all mail to 127.0.0.1:RELAY_PORT
#   postfix_queue_empty DIR                 # 0 when no message is queued
#   postfix_stop DIR                        # stop master and all its children
#
# Layout under DIR: conf/ (main.cf, master.cf, meta files), queue/, data/,
# maillog. Needs root (Postfix's master must start as root); creates the
# postfix user and postfix/postdrop groups if missing.

POSTFIX_TREE=${POSTFIX_TREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.data/postfix}

# _pf TREE ARGS...: run TREE's postfix command
_pf() { local t=$1; shift; LD_LIBRARY_PATH=$t/usr/lib/postfix "$t/usr/sbin/postfix" "$@"; }

postfix_unpack() {
    [[ -x $POSTFIX_TREE/usr/lib/postfix/sbin/master ]] && return 0
    local tmp rc=0
    tmp=$(mktemp -d) || return 1
    ( cd "$tmp" && { apt-get download postfix >/dev/null 2>&1 \
          || { apt-get update >/dev/null && apt-get download postfix; }; } \
        && mkdir -p "$POSTFIX_TREE" && dpkg-deb -x postfix_*.deb "$POSTFIX_TREE" ) || rc=1
    rm -rf "$tmp"
    ((rc == 0)) || echo "postfix_unpack: could not download/unpack postfix" >&2
    return $rc
}

# True when something accepts TCP connections on 127.0.0.1:$1.
_pf_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when 127.0.0.1:$1 sends a "220 " greeting (then says QUIT politely).
_pf_banner() {
    local line fd
    # the braces keep 2>/dev/null from sticking to the caller's shell
    { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    read -r -t 3 line <&"$fd" || true
    printf 'QUIT\r\n' >&"$fd" 2>/dev/null || true
    exec {fd}>&-
    [[ ${line:-} == 220\ * ]]
}

_pf_fail() {
    echo "postfix_start: $1" >&2
    if [[ -f $2/maillog ]]; then echo "--- tail of $2/maillog" >&2; tail -n 20 "$2/maillog" >&2; fi
    return 1
}

_pf_accounts() {
    getent group postfix >/dev/null || groupadd --system postfix || return 1
    getent group postdrop >/dev/null || groupadd --system postdrop || return 1
    id -u postfix >/dev/null 2>&1 || useradd --system -g postfix -d /nonexistent \
        -s /usr/sbin/nologin postfix
}

postfix_start() {
    local dir=${1:?postfix_start DIR SMTP_PORT RELAY_PORT} port=${2:?SMTP_PORT} relay=${3:?RELAY_PORT}
    local t out p
    dir=$(realpath -m "$dir") t=$(realpath -m "$POSTFIX_TREE")
    for p in "$port" "$relay"; do  # bash and Postfix silently wrap 99999
        [[ $p =~ ^[0-9]+$ ]] && ((p > 0 && p < 65536)) || { echo "postfix_start: bad port '$p'" >&2; return 1; }
    done
    postfix_unpack || return 1
    _pf_accounts || { echo "postfix_start: cannot create postfix user/groups" >&2; return 1; }
    _pf_port_open "$port" && { echo "postfix_start: 127.0.0.1:$port already in use" >&2; return 1; }
    # the postfix command chdirs to the queue before post-install creates the rest
    mkdir -p "$dir/conf/dynamicmaps.cf.d" "$dir/conf/postfix-files.d" "$dir/queue" || return 1
    # Daemons open e.g. data_directory after dropping to the postfix user, so
    # DIR must be traversable (mktemp -d makes it 0700).
    chmod 755 "$dir" "$dir/conf" "$dir/queue"
    # meta_directory = conf: post-install (run by `postfix start` to create the
    # queue directories) reads postfix-files from there.
    cp "$t/etc/postfix/postfix-files" "$t/usr/share/postfix/dynamicmaps.cf" "$dir/conf/" || return 1

    cat >"$dir/conf/main.cf" <<EOF
compatibility_level = 3.6
# --- every path points into the unpacked tree or DIR, nothing in /etc or /var
config_directory = $dir/conf
meta_directory = $dir/conf
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = $t/usr/sbin
daemon_directory = $t/usr/lib/postfix/sbin
shlib_directory = $t/usr/lib/postfix
sendmail_path = $t/usr/sbin/sendmail
newaliases_path = $t/usr/bin/newaliases
mailq_path = $t/usr/bin/mailq
manpage_directory = $t/usr/share/man
sample_directory = $dir/conf
html_directory = no
readme_directory = no
# the postfix command scrubs the environment: binaries need LD_LIBRARY_PATH
# because their RUNPATH /usr/lib/postfix does not exist
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH=$t/usr/lib/postfix
# --- logging to a private file via postlogd, not syslog
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
# --- loopback only, no DNS, relay everything to the sink
myhostname = postfix.bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$relay
smtp_host_lookup = native
smtp_dns_support_level = disabled
smtpd_banner = \$myhostname ESMTP
biff = no
append_dot_mydomain = no
# enough smtpd processes for 20+ concurrent sessions; fsync defaults kept
default_process_limit = 100
EOF

    # Debian's default master.cf services, chroot off (the chroot would lack
    # the tree's libraries and /etc files), no local/pipe delivery agents.
    cat >"$dir/conf/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
proxywrite unix - - n -     1 proxymap
smtp      unix  - - n -     - smtp
relay     unix  - - n -     - smtp
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

    # `postfix start` runs post-install create-missing (queue dirs with the
    # right owners) and the integrity checks. We deliberately do not run
    # set-permissions: it would make postdrop/postqueue setgid in the shared
    # tree, and glibc ignores LD_LIBRARY_PATH for setgid binaries.
    if ! out=$(_pf "$t" -c "$dir/conf" start 2>&1); then
        echo "$out" >&2; _pf_fail "postfix -c $dir/conf start failed" "$dir"; return 1
    fi
    # deadline, not a loop count: a connect can succeed and then hang until
    # the read timeout when smtpd cannot start (master keeps the socket open)
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        _pf_banner "$port" && return 0
        sleep 0.2
    done
    _pf_fail "no 220 banner on 127.0.0.1:$port after 30 s; stopping it" "$dir"
    postfix_stop "$dir"; return 1
}

# Stop the instance, then kill whatever is left of it: the master calls
# setsid(), so its children share its session id; we only kill processes in
# that session whose executable lives in the instance's tree (read back from
# main.cf, so a later change of POSTFIX_TREE does not matter).
postfix_stop() {
    local dir=${1:?postfix_stop DIR} pid="" p sid exe i tree
    dir=$(realpath -m "$dir") tree=$(realpath -m "$POSTFIX_TREE")
    # (written as if/|| true so callers may use set -e)
    if [[ -f $dir/queue/pid/master.pid ]]; then read -r pid <"$dir/queue/pid/master.pid" || true; fi
    if [[ -f $dir/conf/main.cf ]]; then
        tree=$(sed -n 's|^shlib_directory = \(.*\)/usr/lib/postfix$|\1|p' "$dir/conf/main.cf")
        _pf "$tree" -c "$dir/conf" stop >/dev/null 2>&1 || true
    fi
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    for ((i = 0; i < 50; i++)); do
        local left=()
        while read -r p sid; do
            [[ $sid == "$pid" ]] || continue
            exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
            [[ $exe == "$tree"/* ]] && left+=("$p")  # zombies have no exe: gone
        done < <(ps -e -o pid= -o sid=)
        ((${#left[@]})) || return 0
        # give `postfix stop` a few seconds, then force
        if ((i >= 20)); then kill -9 "${left[@]}" 2>/dev/null || true; fi
        sleep 0.2
    done
    echo "postfix_stop: processes still alive: ${left[*]}" >&2
    return 1
}

# Succeeds when no message file is left in incoming, active, deferred or maildrop.
postfix_queue_empty() {
    local q
    q=$(realpath -m "${1:?postfix_queue_empty DIR}")/queue
    [[ -d $q ]] || return 0
    [[ -z $(find "$q/incoming" "$q/active" "$q/deferred" "$q/maildrop" \
        -type f -print -quit 2>/dev/null) ]]
}
