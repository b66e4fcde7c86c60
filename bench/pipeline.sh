#!/usr/bin/env bash
# Whole-pipeline throughput against Postfix, on this machine, in one run (issue 14).
#
# The same load goes, round after round, to four targets, each relaying every message to
# Postfix's smtp-sink:
#   ceiling   smtp-source straight into smtp-sink: what the machine and the tools allow;
#   postfix   Postfix as a relay, shipped defaults (bench/postfix.sh): a durable queue, fsync
#             before each 250;
#   embedded  the pipeline as ./run.sh runs it: every role in one process on the in-memory
#             bus, a private PostgreSQL as run.sh starts it (durable: fsync, synchronous_commit;
#             PIPELINE_PG_OPTIONS, 16 MB of shared buffers);
#             Policy:AuthenticationResults off, since Postfix checks nothing either;
#   checking  the embedded pipeline with Policy:AuthenticationResults on, as a site that checks
#             mail runs it: SPF (MAIL FROM and HELO), DKIM and DMARC for every message, asking a
#             private Unbound (caching, as a site's resolver) in front of a private NSD that
#             serves bench.test (an SPF record passing 127.0.0.0/8, a DMARC record at p=none);
#             the messages carry no DKIM signature. Not in the default targets;
#   apart     the pipeline as compose.yaml deploys it: ingress, policy, delivery and events as
#             four processes on a private RabbitMQ, sharing one private PostgreSQL (durable
#             defaults; max_connections=200 and pools of 20 connections, as compose.yaml).
# Every target starts afresh in each round (its own PostgreSQL, RabbitMQ, Postfix queue and
# sink), and only it runs while it is measured. Both pipeline targets route all mail to the
# sink (Delivery:Routes) and log the main log at Warning only, as bench/ingress.sh does.
# The load: smtp-source, SESSIONS parallel sessions, one message of SIZE bytes per connection.
# Each target first takes WARMUP messages and settles them (all at the sink; for the
# pipeline, every history complete and every projection caught up): the JIT compiles the hot
# paths to their optimized tier during the first few thousand messages, which is start-up
# cost, not throughput. Then MESSAGES are measured.
#
# Measured per target and round:
#   accept       MESSAGES / time from the first connection until smtp-source exits;
#   end to end   MESSAGES / time from the first connection until smtp-sink has counted
#                every message (its -c counter, read every 0.1 s);
#   CPU          busy time of the whole machine, every process (from /proc/stat), per message,
#                from the first connection until the run is settled (at the sink, and for the
#                pipeline every msg:complete stored and the projections caught up), so that
#                work left for after the last message is counted too;
#   peak PSS     of the target's processes, sampled every second from /proc/*/smaps_rollup:
#                the pipeline process(es), its whole PostgreSQL (postmaster and backends) and
#                RabbitMQ; Postfix's master and its children; smtp-sink for the ceiling. (A
#                sample costs about 40 ms of CPU, counted in the machine's CPU: 0.15 ms per
#                message at 270 messages/s.)
#   CPU by group the same CPU split between the target's process groups (each role, PostgreSQL,
#                RabbitMQ ...) and the rest of the machine: smtp-source, smtp-sink, the
#                sampler, interrupts;
#   lag          for the pipeline, how far its projections (and, on RabbitMQ, the bus
#                forwarder) were behind when the last message reached the sink, and how long
#                they took to catch up.
# Checked per target and round: smtp-sink got every message exactly once (its dumps, one file
# per message, carry smtp-source's Message-Id, unique per message); for the pipeline, every
# msg:received in the store has its msg:complete.
# Only ratios within a round mean anything: the machine's own speed drifts during a run.
#
# Usage: bench/pipeline.sh
#   environment: ROUNDS (2), SESSIONS (20), MESSAGES (20000), SIZE (2048), WARMUP (3000),
#                TARGETS ("ceiling postfix embedded apart", any subset, in the order given; or
#                "checking", the embedded pipeline with Authentication-Results on),
#                STALL (120: seconds without progress at the sink before a run is failed)
#   It builds and measures the working tree as it is, uncommitted changes included: for a
#   commit's figures, run it in a clean checkout or a `git archive` of the commit (with
#   POSTFIX_TREE=<this tree>/.data/postfix, to reuse the unpacked Postfix).
#   On a shared machine, hold the build lock around the whole run:
#     flock /tmp/pipeline-dotnet.lock bench/pipeline.sh
# Exits non-zero when a target fails or a check finds a message lost, duplicated or with an
# incomplete history; when a target fails, its logs are kept in /tmp/pipeline-bench.*.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/common.sh
. bench/postfix.sh

rounds=${ROUNDS:-2}
sessions=${SESSIONS:-20}
messages=${MESSAGES:-20000}
size=${SIZE:-2048}
warmup=${WARMUP:-3000}
targets=${TARGETS:-ceiling postfix embedded apart}
stall=${STALL:-120}
expected=$((warmup + messages))   # what each target's sink must end with
schema=bench

work=$(mktemp -d /tmp/pipeline-bench.XXXXXX)
chmod 755 "$work"
# The sink's dumps go to memory: its writes must not compete with the targets' fsyncs.
dumps=$(mktemp -d /dev/shm/pipeline-bench-sink.XXXXXX)
chmod 755 "$dumps"   # smtp-sink writes as nobody
# one line per target and round: "round target accept e2e cpu_ms pss_mb group=MB ... |
# checks and lag | CPU by group"
results="$work/results"
: > "$results"

# --- what is running, so that cleanup stops exactly that -----------------------------------
sink_pid="" sampler_pid="" pipeline_pids=() postfix_dir="" pg_dir="" dns_pids=() auth_results=false
stop_pipeline() {
  local p
  for p in "${pipeline_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pipeline_pids[@]}"; do wait "$p" 2>/dev/null; done
  pipeline_pids=()
}
stop_dns() {
  local p
  for p in "${dns_pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  dns_pids=()
}
stop_target() {
  stop_pipeline
  stop_dns
  auth_results=false
  rabbit_stop
  [ -n "$postfix_dir" ] && postfix_stop "$postfix_dir" 2>/dev/null
  [ -n "$pg_dir" ] && pg_stop "$pg_dir"
  postfix_dir="" pg_dir=""
}
stop_sampler() { [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null && wait "$sampler_pid" 2>/dev/null; sampler_pid=""; }
stop_sink() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null; sink_pid=""; }
cleanup() {
  stop_sampler
  stop_target
  stop_sink
  if [ -n "$keep_work" ]; then
    say "kept for its logs: $work"
    rm -rf "$dumps"
  else
    rm -rf "$work" "$dumps"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
keep_work=${KEEP:-}   # KEEP=1 keeps the logs of a run that passed too
fail() { say "FAILED: $*"; keep_work=1; exit 1; }
# now: seconds since boot, 0.01 s resolution; monotonic, unlike the wall clock (which this
# kind of virtual machine has been seen to step by minutes) and bash's SECONDS.
now() { local up _; read -r up _ < /proc/uptime; echo "$up"; }
secs() { local up; up=$(now); echo "${up%.*}"; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", e - s }'; }

# --- Postfix's tools ------------------------------------------------------------------------
postfix_unpack || exit 1
pf() { LD_LIBRARY_PATH="$POSTFIX_TREE/usr/lib/postfix" "$POSTFIX_TREE/usr/sbin/$1" "${@:2}"; }
postfix_version=$(pf postconf -d mail_version 2>/dev/null | sed 's/.*= //')

# --- the machine's busy CPU time, in clock ticks: every process, kernel time included ------
clk_tck=$(getconf CLK_TCK)
cpu_busy() {
  # cpu user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
  local user nice system irq softirq steal
  read -r _ user nice system _ _ irq softirq steal _ < /proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}

# --- smtp-sink: a fresh one per target run, counting and dumping every message --------------
# sink_start NAME: sets sink_pid, sink_port, sink_dir. -c prints "sess=N quit=N mesg=N\r" at
# every message; reading the tail of that output is far cheaper than counting files.
sink_start() {
  sink_dir="$dumps/$1"
  mkdir -p "$sink_dir/dump"
  chmod 777 "$sink_dir/dump"   # smtp-sink writes as nobody
  sink_port=$(free_port 26000)
  # Dump files are named by the second (%H%M%S.) and a random 32-bit number, opened with
  # O_EXCL: a per-second name keeps the odds of two messages drawing one name negligible.
  # (not through pf: a function run in the background is a subshell, and $! would be its pid)
  LD_LIBRARY_PATH="$POSTFIX_TREE/usr/lib/postfix" "$POSTFIX_TREE/usr/sbin/smtp-sink" -c -u nobody \
    -d "$sink_dir/dump/%H%M%S." 127.0.0.1:"$sink_port" 1000 > "$sink_dir/counter" 2> "$sink_dir/sink.log" &
  sink_pid=$!
  wait_port "$sink_port" 10 || fail "smtp-sink did not start: $(cat "$sink_dir/sink.log")"
}
# sink_alive: fails, saying why, once smtp-sink has stopped (a zombie, until reaped, passes
# kill -0: read its state instead).
sink_alive() {
  local state
  read -r _ _ state _ < "/proc/$sink_pid/stat" 2>/dev/null
  [ "${state:-Z}" != Z ] || { say "smtp-sink stopped: $(tail -n 3 "$sink_dir/sink.log")"; return 1; }
}
sink_count() {
  local tail
  tail=$(tail -c 48 "$sink_dir/counter" 2>/dev/null)
  tail=${tail##*mesg=}
  tail=${tail%%[!0-9]*}
  echo "${tail:-0}"
}
# sink_check: "files distinct-message-ids" of everything the sink got.
sink_check() {
  local files ids
  files=$(find "$sink_dir/dump" -type f | wc -l)
  ids=$(find "$sink_dir/dump" -type f -print0 | xargs -0 -r grep -h -m1 -i '^message-id:' | sort -u | wc -l)
  echo "$files $ids"
}

# --- the target's processes: the trees under its roots, in named groups --------------------
# group_sample pss|cpu GROUP=PID...: sums, for each group, over the processes under its roots
# (each root and its descendants), either their PSS in kB (from smaps_rollup), followed by
# backends=N, PostgreSQL's client backends; or their CPU time in clock ticks, user and system,
# with that of their children that exited and were reaped (Postfix's smtpd processes, ...).
# Prints "total GROUP=value ...". Roots may share a group name.
group_sample() {
  local mode=$1; shift
  ps -e -o pid=,ppid=,args= | awk -v mode="$mode" -v roots="$*" '
    { parent[$1] = $2; args[$1] = $0 }
    END {
      n = split(roots, r, " ")
      for (i = 1; i <= n; i++) { split(r[i], kv, "="); root[kv[2]] = kv[1]; order[i] = kv[1] }
      for (p in parent) {
        q = p
        for (d = 0; d < 64 && !(q in root) && (q in parent); d++) q = parent[q]
        if (!(q in root)) continue
        g = root[q]
        if (mode == "pss") {
          f = "/proc/" p "/smaps_rollup"
          while ((getline line < f) > 0) if (line ~ /^Pss:/) { split(line, a, " "); v[g] += a[2]; total += a[2] }
          if (g == "postgres" && args[p] ~ /postgres: .* 127\.0\.0\.1\(/) backends++
        } else {
          # after the command name, which may hold spaces: utime stime cutime cstime are the
          # 12th to 15th fields
          f = "/proc/" p "/stat"
          if ((getline line < f) > 0) { sub(/.*\) /, "", line); split(line, a, " "); t = a[12] + a[13] + a[14] + a[15]; v[g] += t; total += t }
        }
        close(f)
      }
      out = total + 0
      for (i = 1; i <= n; i++) if (!seen[order[i]]++) out = out " " order[i] "=" v[order[i]] + 0
      if (mode == "pss") out = out " backends=" backends + 0
      print out
    }'
}
# cpu_by_group BEFORE AFTER MACHINE-TICKS: each group's CPU, and the rest of the machine's
# (smtp-source, smtp-sink, interrupts ...), in ms per message: "ingress 2.10, ..., other 0.60".
cpu_by_group() {
  awk -v a="$1" -v b="$2" -v machine="$3" -v hz="$clk_tck" -v m="$messages" 'BEGIN {
    n = split(a, x, " "); split(b, y, " ")
    for (i = 2; i <= n; i++) { split(x[i], kv0, "="); split(y[i], kv1, "="); d = kv1[2] - kv0[2]; sum += d
      printf "%s %.2f, ", kv0[1], d / hz * 1000 / m }
    printf "other %.2f\n", (machine - sum) / hz * 1000 / m
  }'
}

# --- peak PSS: one sample a second ----------------------------------------------------------
sampler_start() {
  local out=$1; shift
  : > "$out"
  ( while :; do group_sample pss "$@" >> "$out"; sleep 1; done ) &
  sampler_pid=$!
}
# pss_peak FILE: the sample with the largest total, in MB: "total group=MB ... backends=N".
pss_peak() {
  sort -n -k1,1 "$1" | tail -n 1 | awk '{
    printf "%.0f", $1 / 1024
    for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "backends") printf " backends=%s", kv[2]; else printf " %s=%.0f", kv[1], kv[2] / 1024 }
    print ""
  }'
}

# --- the pipeline's store -------------------------------------------------------------------
psql_at() { as_postgres "$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tA -F ' ' -c "$1"; }
# pipeline_state: "received completed caught-up(0|1)". Caught up: every projection and
# subscription (the bus forwarder on RabbitMQ) has reached the last event in the log. The
# HighWater* rows are the daemon's own bookkeeping (HighWaterStuckGap stays at 0).
pipeline_state() {
  psql_at "select count(*) filter (where type = 'msg:received'), count(*) filter (where type = 'msg:complete'),
    (select coalesce(min(last_seq_id), 0) from $schema.mt_event_progression where name not like 'HighWater%')
      >= coalesce(max(seq_id), 0) from $schema.mt_events" | awk '{ print $1, $2, ($3 == "t") }'
}
# pipeline_behind: how many events each follower of the log has yet to process, e.g.
# "projections 1200 events, bus-forwarder 5300 events"; empty when all are caught up.
pipeline_behind() {
  psql_at "select string_agg(who || ' ' || lag || ' events', ', ') from (
      select case when name like '%:All' and name not like 'bus-forwarder%' then 'projections' else name end who,
             max(m - last_seq_id) lag
      from $schema.mt_event_progression, (select max(seq_id) m from $schema.mt_events) x
      where name not like 'HighWater%' and last_seq_id < m group by 1) behind"
}
# pipeline_check: "received distinct-received completed histories-without-msg:complete".
pipeline_check() {
  psql_at "select count(*) filter (where type = 'msg:received'), count(distinct stream_id) filter (where type = 'msg:received'),
    count(*) filter (where type = 'msg:complete'),
    (select count(*) from (select stream_id from $schema.mt_events where type = 'msg:received'
                           except select stream_id from $schema.mt_events where type = 'msg:complete') open)
    from $schema.mt_events"
}

# --- settling: a target is settled when the sink has everything and the target is idle ------
# settled COUNT: true when the sink has COUNT messages and the current target has nothing left.
settled() {
  [ "$(sink_count)" -ge "$1" ] || return 1
  case $target in
    postfix) postfix_queue_empty "$postfix_dir" ;;
    embedded|checking|apart)
      local received completed caught_up
      read -r received completed caught_up < <(pipeline_state)
      [ "${completed:-0}" -ge "$1" ] && [ "${caught_up:-0}" = 1 ] ;;
    *) true ;;
  esac
}
# source_ok: fails, saying why, when smtp-source has exited with an error (it gives up on the
# first refusal, and the sink would then wait for messages that never come).
source_ok() {
  local rc _
  [ -f "$source_done" ] || return 0
  read -r rc _ < "$source_done"
  [ "$rc" = 0 ] || {
    cp "$source_done.log" "$work/$target-smtp-source.log" 2>/dev/null
    say "smtp-source failed (exit status $rc): $(tail -n 3 "$source_done.log")"; return 1; }
}
# unsettled_why: what the current target still lacks, for the failure message.
unsettled_why() {
  echo -n "sink at $(sink_count)"
  case $target in
    postfix) postfix_queue_empty "$postfix_dir" || echo -n ", Postfix's queue not empty" ;;
    embedded|checking|apart) echo -n "; store: msg:received, msg:complete, caught up: $(pipeline_state)"
      echo -n "; progress: $(psql_at "select string_agg(name || '=' || last_seq_id, ' ') from $schema.mt_event_progression") of $(psql_at "select max(seq_id) from $schema.mt_events")" ;;
  esac
}
# wait_settled COUNT: waits while the sink makes progress; fails after STALL seconds without.
wait_settled() {
  local last=-1 since count
  since=$(secs)
  until settled "$1"; do
    count=$(sink_count)
    [ "$count" != "$last" ] && { last=$count; since=$(secs); }
    (($(secs) - since < stall)) && sink_alive && source_ok || return 1
    sleep 0.5
  done
}

# --- the targets ----------------------------------------------------------------------------
# Each start_<target> ROUND starts the target (its sink already running), sets smtp_port and
# the roots of its processes for PSS and CPU (roots=(group=pid ...)).
start_ceiling() {
  smtp_port=$sink_port
  roots=("sink=$sink_pid")
}

start_postfix() {
  postfix_dir="$work/postfix-$1"
  smtp_port=$(free_port 25300)
  postfix_start "$postfix_dir" "$smtp_port" "$sink_port" || fail "Postfix did not start"
  roots=("postfix=$(head -n 1 "$postfix_dir/queue/pid/master.pid" | tr -d ' ')")
}

# start_store ROUND [POSTGRES OPTIONS]: a fresh private PostgreSQL, durable defaults.
start_store() {
  pg_dir="$work/postgres-$target-$1"
  pg_port=$(free_port 26500)
  PG_EXTRA_OPTIONS="${2:-}" pg_start "$pg_dir" "$pg_port" || fail "PostgreSQL did not start"
}

# pipeline_process ROLES LOG [Key=value ...]: starts one pipeline process with what every
# target shares (as bench/ingress.sh: all mail routed to the sink, mainlog at Warning).
pipeline_process() {
  local roles=$1 log=$2; shift 2
  env Roles="$roles" Store__Schema="$schema" "$@" \
    Ingress__Listen="127.0.0.1:$smtp_port" Ingress__SmtpAcceptMaxPerHost=1000 Ingress__SmtpAcceptMax=1000 \
    Delivery__Routes__0__Domains__0='*' Delivery__Routes__0__Hosts__0="127.0.0.1:$sink_port" \
    Policy__AuthenticationResults="$auth_results" Logging__LogLevel__mainlog=Warning \
    dotnet host/bin/Release/net10.0/pipeline.dll > "$log" 2>&1 &
  pipeline_pids+=($!)
}

start_embedded() {
  start_store "$1" "$PIPELINE_PG_OPTIONS"
  smtp_port=$(free_port 27000)
  local http_port; http_port=$(free_port 28000)
  pipeline_process ingress,policy,delivery,events "$work/embedded-$1.log" \
    Store__ConnectionString="$(embedded_store "$pg_port")" \
    Events__Listen="http://127.0.0.1:$http_port"
  wait_port "$smtp_port" 90 || { tail -n 20 "$work/embedded-$1.log" >&2; fail "the pipeline did not start"; }
  roots=("pipeline=${pipeline_pids[0]}" "postgres=$(head -n 1 "$pg_dir/postmaster.pid")")
}

# dns_start ROUND: NSD serving bench.test, and Unbound in front of it on dns_port.
dns_start() {
  local dir="$work/dns-$1" nsd_port
  mkdir -p "$dir"
  nsd_port=$(free_port 25350)
  cat > "$dir/bench.test" <<'ZONE'
$ORIGIN bench.test.
$TTL 3600
@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 60
@ IN NS ns.bench.test.
ns IN A 127.0.0.1
@ IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
_dmarc IN TXT "v=DMARC1; p=none"
ZONE
  cat > "$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$nsd_port
  port: $nsd_port
  username: ""
  chroot: ""
  zonesdir: "$dir"
  pidfile: "$dir/nsd.pid"
  database: ""
  xfrdfile: "$dir/xfrd.state"
  zonelistfile: "$dir/zone.list"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: "bench.test"
CONF
  nsd -d -c "$dir/nsd.conf" > "$dir/nsd.log" 2>&1 &
  dns_pids+=($!)
  wait_port "$nsd_port" 10 || fail "nsd did not start: $(tail -n 3 "$dir/nsd.log")"
  dns_port=$(free_port 25360)
  cat > "$dir/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$dns_port
  port: $dns_port
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  use-syslog: no
  logfile: ""
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  qname-minimisation: no
  local-zone: "test." nodefault
stub-zone:
  name: "bench.test."
  stub-addr: 127.0.0.1@$nsd_port
remote-control:
  control-enable: no
CONF
  unbound -d -c "$dir/unbound.conf" > "$dir/unbound.log" 2>&1 &
  dns_pids+=($!)
  wait_port "$dns_port" 10 || fail "unbound did not start: $(tail -n 3 "$dir/unbound.log")"
}

start_checking() {
  dns_start "$1"
  auth_results=true
  start_store "$1" "$PIPELINE_PG_OPTIONS"
  smtp_port=$(free_port 27000)
  local http_port; http_port=$(free_port 28000)
  pipeline_process ingress,policy,delivery,events "$work/checking-$1.log" \
    Store__ConnectionString="$(embedded_store "$pg_port")" \
    Events__Listen="http://127.0.0.1:$http_port" Dns__Servers__0="127.0.0.1:$dns_port"
  wait_port "$smtp_port" 90 || { tail -n 20 "$work/checking-$1.log" >&2; fail "the pipeline did not start"; }
  roots=("pipeline=${pipeline_pids[0]}" "postgres=$(head -n 1 "$pg_dir/postmaster.pid")" "dns=${dns_pids[0]}" "dns=${dns_pids[1]}")
}

# wait_logged LOG TEXT SECONDS: waits until the process writing LOG says TEXT.
wait_logged() {
  local deadline=$(($(secs) + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    (($(secs) < deadline)) || { tail -n 20 "$1" >&2; return 1; }
    sleep 0.5
  done
}

# wait_consumers QUEUE...: waits (at most 60 s) until each RabbitMQ queue has a consumer.
wait_consumers() {
  local ctl=${RABBIT_CTL/%rabbitmq-diagnostics/rabbitmqctl} deadline=$(($(secs) + 60)) queues q missing
  while :; do
    # (unquoted: RABBIT_CTL is "env VAR=... command", as scripts/common.sh makes it)
    queues=$($ctl -q list_queues name consumers --no-table-headers 2>/dev/null)
    missing=""
    for q in "$@"; do
      awk -v q="$q" '$1 == q && $2 > 0 { found = 1 } END { exit !found }' <<< "$queues" || missing+=" $q"
    done
    [ -z "$missing" ] && return 0
    (($(secs) < deadline)) || { say "no consumer on:$missing; queues: ${queues//$'\n'/; }"; return 1; }
    sleep 1
  done
}

start_apart() {
  start_store "$1" "-c max_connections=200"
  rabbit_start "$work/rabbitmq-$1" "$(free_port 22700)" || fail "RabbitMQ did not start"
  smtp_port=$(free_port 27000)
  local http_port role common
  http_port=$(free_port 28000)
  common=(Store__ConnectionString="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Maximum Pool Size=20"
    Bus__Transport=RabbitMQ Bus__RabbitMQ__Host=127.0.0.1 Bus__RabbitMQ__Port="$RABBIT_PORT")
  # The events role first: it creates the store's schema, which the others then find ready.
  pipeline_process events "$work/apart-$1-events.log" "${common[@]}" Events__Listen="http://127.0.0.1:$http_port"
  wait_port "$http_port" 90 || { tail -n 20 "$work/apart-$1-events.log" >&2; fail "the events role did not start"; }
  for role in policy delivery ingress; do
    pipeline_process "$role" "$work/apart-$1-$role.log" "${common[@]}"
  done
  for role in events policy delivery ingress; do
    wait_logged "$work/apart-$1-$role.log" "Pipeline started" 90 || fail "the $role role did not start"
  done
  # Ingress listens before policy and delivery consume: a policy request sent to a queue with
  # no consumer yet waits out Ingress:PolicyTimeout (30 s), and the session gets a 451.
  wait_consumers check-policy message-queued || fail "policy or delivery never consumed from RabbitMQ"
  roots=("events=${pipeline_pids[0]}" "policy=${pipeline_pids[1]}" "delivery=${pipeline_pids[2]}"
    "ingress=${pipeline_pids[3]}" "postgres=$(head -n 1 "$pg_dir/postmaster.pid")"
    "rabbitmq=$RABBIT_PID" "rabbitmq=$EPMD_PID")
}

# source_run PORT COUNT DONE-FILE: smtp-source in the background (source_pid); DONE-FILE
# (source_done) gets its exit status and the time it exited.
source_run() {
  ( pf smtp-source -s "$sessions" -m "$2" -l "$size" -f sender@bench.test -t rcpt@bench.test \
      -M bench.test 127.0.0.1:"$1"
    echo "$? $(now)" > "$3" ) > "$3.log" 2>&1 &
  source_pid=$! source_done=$3
}

# run_target ROUND TARGET: warm-up, measured run, checks; appends a line to the results.
run_target() {
  local round=$1 t0 t_e2e t_settled accept_end rc cpu0 cpu1 groups0 groups1 count last since behind=""
  target=$2
  say "round $round: $target"
  sink_start "$target-$round"
  "start_$target" "$round"

  say "  warm-up: $warmup messages"
  source_run "$smtp_port" "$warmup" "$sink_dir/warmup.done"
  wait_settled "$warmup" || fail "$target: the warm-up of $warmup did not settle: $(unsettled_why)"
  wait "$source_pid"

  say "  measured: $messages messages of $size bytes over $sessions sessions"
  sampler_start "$sink_dir/pss" "${roots[@]}"
  groups0=$(group_sample cpu "${roots[@]}"); cpu0=$(cpu_busy); t0=$(now)
  source_run "$smtp_port" "$messages" "$sink_dir/source.done"
  last=-1 since=$(secs)
  while count=$(sink_count); [ "$count" -lt "$expected" ]; do
    [ "$count" != "$last" ] && { last=$count; since=$(secs); }
    sink_alive || fail "$target: the sink stopped"
    source_ok || fail "$target: smtp-source failed"
    (($(secs) - since < stall)) || fail "$target: the sink is stuck at $count of $expected messages ($(tail -n 3 "$sink_dir/source.done.log" 2>/dev/null))"
    sleep 0.1
  done
  t_e2e=$(now)
  # what the events role still had to do when the last message reached the sink
  [ "$target" != ceiling ] && [ "$target" != postfix ] && behind=$(pipeline_behind)
  wait_settled "$expected" || fail "$target: the run did not settle: $(unsettled_why)"
  t_settled=$(now); cpu1=$(cpu_busy); groups1=$(group_sample cpu "${roots[@]}")
  stop_sampler
  wait "$source_pid"  # it has exited already: the sink has everything
  read -r rc accept_end < "$sink_dir/source.done"
  [ "$rc" = 0 ] || say "  smtp-source exited with $rc: $(tail -n 3 "$sink_dir/source.done.log")"

  # checks
  local files ids problems="" detail=""
  read -r files ids < <(sink_check)
  [ "$files" -eq "$expected" ] || problems+=" the sink has $files messages, not $expected;"
  [ "$ids" -eq "$files" ] || problems+=" $((files - ids)) duplicates at the sink;"
  if [ "$target" != ceiling ] && [ "$target" != postfix ]; then
    local received distinct completed open
    read -r received distinct completed open < <(pipeline_check)
    [ "$received" -eq "$expected" ] && [ "$distinct" -eq "$expected" ] || problems+=" $received msg:received ($distinct messages), not $expected;"
    [ "$completed" -eq "$expected" ] && [ "$open" -eq 0 ] || problems+=" $completed msg:complete, $open histories without one;"
    detail="projections caught up $(elapsed "$t_e2e" "$t_settled") s after the last message reached the sink${behind:+ (then behind by: $behind)}"
  fi
  stop_target
  stop_sink
  rm -rf "$sink_dir/dump"

  local accept e2e cpu_ms pss
  accept=$(awk -v m="$messages" -v s="$(elapsed "$t0" "$accept_end")" 'BEGIN { printf "%.0f", m / s }')
  e2e=$(awk -v m="$messages" -v s="$(elapsed "$t0" "$t_e2e")" 'BEGIN { printf "%.0f", m / s }')
  cpu_ms=$(awk -v c=$((cpu1 - cpu0)) -v hz="$clk_tck" -v m="$messages" 'BEGIN { printf "%.2f", c / hz * 1000 / m }')
  pss=$(pss_peak "$sink_dir/pss")
  [ -z "$problems" ] && detail="checked: $expected at the sink exactly once${detail:+; every history complete; $detail}"
  [ -n "$problems" ] && detail="CHECK FAILED:$problems"
  echo "$round $target $accept $e2e $cpu_ms $pss | $detail | CPU ms per message: $(cpu_by_group "$groups0" "$groups1" $((cpu1 - cpu0)))" >> "$results"
  say "  accept $accept msg/s, end to end $e2e msg/s, $cpu_ms ms CPU per message, peak PSS ${pss%% *} MB; $detail"
  [ -z "$problems" ]
}

# Sourced (bench/latency.sh), this file gives its targets, checks and clean-up, and runs nothing.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

# --- the run --------------------------------------------------------------------------------
case " $targets " in *" embedded "*|*" checking "*|*" apart "*)
  dotnet build host/Pipeline.Host.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1 ;;
esac
case " $targets " in *" apart "*) apt_install rabbitmq-server || exit 1 ;; esac
case " $targets " in *" checking "*) apt_install nsd unbound || exit 1 ;; esac

started=$(secs)
say "$rounds rounds of: $targets; $messages messages of $size bytes over $sessions sessions, $warmup to warm up"
failed=0
for ((round = 1; round <= rounds; round++)); do
  for target in $targets; do
    run_target "$round" "$target" || failed=1
  done
done

# --- the report -----------------------------------------------------------------------------
label() {
  case $1 in
    ceiling) echo "smtp-source straight into smtp-sink (the ceiling)" ;;
    postfix) echo "Postfix $postfix_version as a relay (shipped defaults)" ;;
    embedded) echo "the pipeline, one process (\`./run.sh\`, Authentication-Results off)" ;;
    checking) echo "the pipeline, one process, Authentication-Results on (SPF, DKIM, DMARC via a local Unbound)" ;;
    apart) echo "the pipeline, roles apart: 4 processes on RabbitMQ, one PostgreSQL" ;;
  esac
}
# pss_text "TOTAL group=MB ... backends=N": "540 MB (pipeline 216, postgres 302 in 44 backends)"
pss_text() {
  echo "$*" | awk '{
    printf "%s MB", $1; sep = " ("
    for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "backends") continue
      printf "%s%s %s", sep, kv[1], kv[2]; sep = ", "; if (kv[1] == "postgres") printf " in %s backends", b }
    if (NF > 2) printf ")"
  }' b="$(echo "$*" | sed -n 's/.*backends=\([0-9]*\).*/\1/p')"
}
# field ROUND TARGET N: the Nth field of that result line (3 accept, 4 e2e, 5 cpu, 6 pss total).
field() { awk -v r="$1" -v t="$2" -v n="$3" '$1 == r && $2 == t { print $n }' "$results"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "== $(date +%F): $messages messages of $size bytes, $sessions sessions, one per connection, $warmup to warm up; $rounds rounds, $((($(secs) - started) / 60)) min"
for ((round = 1; round <= rounds; round++)); do
  echo
  echo "round $round"
  echo "| target | accept msg/s | end to end msg/s | CPU ms per message (whole machine) | peak PSS |"
  echo "| --- | --- | --- | --- | --- |"
  while read -r r t accept e2e cpu rest; do
    [ "$r" = "$round" ] || continue
    echo "| $(label "$t") | $accept | $e2e | $cpu | $(pss_text "${rest%% |*}") |"
  done < "$results"
  while IFS='|' read -r head detail cpu; do
    read -r r t _ <<< "$head"
    [ "$r" = "$round" ] && printf '  %s: %s;%s\n' "$t" "${detail# }" "${cpu% }"
  done < "$results"
done

echo
echo "medians of $rounds rounds"
echo "| target | accept msg/s | end to end msg/s | CPU ms per message (whole machine) | peak PSS MB |"
echo "| --- | --- | --- | --- | --- |"
for t in $targets; do
  row="| $(label "$t")"
  for n in 3 4 5 6; do
    value=$(for ((r = 1; r <= rounds; r++)); do field "$r" "$t" "$n"; done | median)
    if [ "$n" = 5 ]; then row+=" | $(printf %.2f "$value")"; else row+=" | $(printf %.0f "$value")"; fi
  done
  echo "$row |"
done

if [[ " $targets " == *" postfix "* ]]; then
  echo
  echo "pipeline ÷ Postfix, per round (median)"
  for t in embedded checking apart; do
    [[ " $targets " == *" $t "* ]] || continue
    for n in 3 4 5 6; do
      case $n in 3) what="accept" ;; 4) what="end to end" ;; 5) what="CPU per message" ;; 6) what="peak PSS" ;; esac
      per=() 
      for ((r = 1; r <= rounds; r++)); do per+=("$(ratio "$(field "$r" "$t" "$n")" "$(field "$r" postfix "$n")")"); done
      printf '  %-9s %-16s %s (%s)\n' "$t" "$what" "$(IFS=,; joined="${per[*]}"; echo "${joined//,/, }")" \
        "$(printf '%.2f' "$(printf '%s\n' "${per[@]}" | grep . | median)")"
    done
  done
fi
exit $failed
