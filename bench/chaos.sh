#!/usr/bin/env bash
# Faults under load (issue 15): SIGKILL the pipeline's processes at random moments while mail
# flows, restart PostgreSQL and RabbitMQ, stop the sink for a while, then check that nothing
# accepted was lost.
#
# Two modes, each on its own private PostgreSQL (durable defaults: fsync and synchronous_commit
# on) and smtp-sink:
#   embedded  every role in one process (./run.sh): each trial kills that process;
#   apart     ingress, policy, delivery and events as four processes on a private RabbitMQ:
#             each trial kills one of them, the roles taken in a seeded random order.
# The load (bench/chaos_send.py) runs all along: SESSIONS clients, one message per connection,
# each message numbered and sent again until one final dot gets a 250. A trial waits a random
# 1 to 4 seconds of load, kills, restarts the process at once, and waits until it logs that it
# started (the recovery time). Besides the kills, each mode restarts PostgreSQL twice, stops
# the sink for 5 seconds twice, and (apart) restarts RabbitMQ twice.
# After the trials the load stops, every message is accepted, and the run settles: the queue
# empty and every accepted message at the sink. Then it checks:
#   lost        messages that got a 250 and never reached the sink: must be 0;
#   duplicates  messages the sink got more than once, each by its cause, the cases
#               docs/architecture.md names: "client" (the client sent it again after losing
#               the reply to its final dot, or after a 4xx there); "delivery" (a process
#               doing deliveries was killed between the sink's 250 and the outcome's commit:
#               the first copy arrived before such a kill, the second after); "sink" (the
#               sink stopped after taking the message, before its 250 reached delivery: the
#               SMTP race on the client side); "store" (PostgreSQL restarted between the sink's
#               250 and the outcome's commit, for longer than delivery retries the commit);
#               any other is "unexplained" and fails the run;
#   history     every message stream that starts with msg:received ends with msg:complete;
#   projections every projection's documents equal what a rebuild from the log gives.
# The table (one line per mode and fault) is printed and written to $work/chaos.md.
#
# Usage: bench/chaos.sh
#   environment: MODES ("embedded apart"), TRIALS (20 per role), SEED (1), SESSIONS (8),
#                SIZE (1024), SETTLE (600: seconds the run may take to settle), KEEP=1 keeps
#                the logs of a run that passed
#   On a shared machine, hold the build lock while it builds: BUILD_LOCK=/tmp/pipeline-dotnet.lock
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/common.sh
. bench/postfix.sh

modes=${MODES:-embedded apart}
trials=${TRIALS:-20}
seed=${SEED:-1}
sessions=${SESSIONS:-8}
size=${SIZE:-1024}
settle_limit=${SETTLE:-600}
schema=chaos
token=chaos-admin-token-0123456789

work=$(mktemp -d /tmp/pipeline-chaos.XXXXXX)
chmod 755 "$work"
dumps=$(mktemp -d /dev/shm/pipeline-chaos-sink.XXXXXX)
chmod 755 "$dumps"
keep_work=${KEEP:-}

say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
fail() { say "FAILED: $*"; keep_work=1; exit 1; }
now() { local up _; read -r up _ < /proc/uptime; echo "$up"; }
secs() { local up; up=$(now); echo "${up%.*}"; }

declare -A pids=()   # role or "pipeline" -> pid
sink_pid="" sender_pid="" pg_dir="" mode=""
stop_processes() {
  local r
  for r in "${!pids[@]}"; do kill -TERM "${pids[$r]}" 2>/dev/null; done
  for r in "${!pids[@]}"; do wait "${pids[$r]}" 2>/dev/null; done
  pids=()
}
cleanup() {
  [ -n "$sender_pid" ] && kill "$sender_pid" 2>/dev/null
  stop_processes
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
  rabbit_stop
  [ -n "$pg_dir" ] && pg_stop "$pg_dir"
  if [ -n "$keep_work" ]; then say "kept for its logs: $work"; else rm -rf "$work"; fi
  rm -rf "$dumps"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

postfix_unpack || exit 1
${BUILD_LOCK:+flock "$BUILD_LOCK"} dotnet build host -c Release -nologo -v q -clp:ErrorsOnly >&2 || exit 1

# --- smtp-sink, restartable on the same port and dump folder --------------------------------
sink_start() {
  LD_LIBRARY_PATH="$POSTFIX_TREE/usr/lib/postfix" "$POSTFIX_TREE/usr/sbin/smtp-sink" -u nobody \
    -d "$sink_dir/%H%M%S." 127.0.0.1:"$sink_port" 1000 >> "$work/$mode-sink.log" 2>&1 &
  sink_pid=$!
  wait_port "$sink_port" 10 || fail "smtp-sink did not start"
}
sink_count() { find "$sink_dir" -type f | wc -l; }

psql_at() { as_postgres "$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tA -F ' ' -c "$1" 2>/dev/null; }

# --- the pipeline's processes ---------------------------------------------------------------
process_env() {
  local roles=$1
  penv=(Roles="$roles" Store__Schema="$schema" \
    Store__ConnectionString="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Maximum Pool Size=20" \
    Ingress__Listen="127.0.0.1:$smtp_port" Ingress__SmtpAcceptMaxPerHost=1000 Ingress__SmtpAcceptMax=1000 \
    Delivery__Routes__0__Domains__0='*' Delivery__Routes__0__Hosts__0="127.0.0.1:$sink_port" \
    Delivery__RetryRules=F,1h,2s Delivery__ClaimLease=00:00:05 Policy__AuthenticationResults=false \
    Events__Listen="http://127.0.0.1:$http_port" Events__ApiTokens__0__Token="$token" Events__ApiTokens__0__Role=admin \
    "${bus[@]}")
}
# start NAME ROLES: starts a process and waits until it logs that it started; sets started_in
# to the seconds that took.
start() {
  local name=$1 roles=$2 log t0
  log="$work/$mode-$name.$(date +%s%N).log"
  t0=$(now)
  process_env "$roles"
  env "${penv[@]}" dotnet host/bin/Release/net10.0/pipeline.dll > "$log" 2>&1 &
  pids[$name]=$!
  local deadline=$(($(secs) + 120))
  until grep -q "Pipeline started" "$log" 2>/dev/null; do
    kill -0 "${pids[$name]}" 2>/dev/null || { tail -n 20 "$log" >&2; fail "$name did not start"; }
    (($(secs) < deadline)) || { tail -n 20 "$log" >&2; fail "$name did not start within 120 s"; }
    sleep 0.1
  done
  started_in=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
}

# --- one fault ------------------------------------------------------------------------------
# Each fault appends "KIND TIME RECOVERY" to the faults log (TIME: epoch seconds of the fault).
faults="$work/faults"
fault() { echo "$1 $(date +%s.%N) $2" >> "$faults.$mode"; }
kill_role() {
  local name=$1 roles=$2 pid when
  pid=${pids[$name]}
  kill -KILL "$pid"; wait "$pid" 2>/dev/null
  when=$(date +%s.%N)
  start "$name" "$roles"
  echo "$name $when $started_in" >> "$faults.$mode"
}
restart_postgres() {
  local t0; t0=$(now)
  pg_stop "$pg_dir"
  pg_start "$pg_dir" "$pg_port" || fail "PostgreSQL did not start again"
  fault postgres "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
}
restart_rabbitmq() {
  local t0; t0=$(now)
  rabbit_stop
  rabbit_start_on "$work/rabbitmq" "$rabbit_port" || fail "RabbitMQ did not start again"
  fault rabbitmq "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
}
stop_sink() {
  kill "$sink_pid"; wait "$sink_pid" 2>/dev/null
  sleep 5
  sink_start
  fault sink 5.0
}

settled() {
  local accepted queue open
  accepted=$(awk '$2 == "accepted"' "$work/$mode-sender.log" | wc -l)
  [ "$(sink_count)" -ge "$accepted" ] || return 1
  read -r queue open < <(psql_at "select (select count(*) from $schema.delivery_queue),
    (select count(*) from (select stream_id from $schema.mt_events where type = 'msg:received'
                           except select stream_id from $schema.mt_events where type = 'msg:complete') o)")
  [ "${queue:-1}" = 0 ] && [ "${open:-1}" = 0 ]
}

projection_tables() {
  local table
  for table in messagesummary recipientdelivery connectionsummary eventcount; do
    psql_at "select '$table', count(*), md5(coalesce(string_agg(id::text || data::text, ',' order by id::text), '')) from $schema.mt_doc_$table"
  done
}
projections_caught_up() {
  [ "$(psql_at "select (select coalesce(min(last_seq_id), 0) from $schema.mt_event_progression where name not like 'HighWater%')
    >= (select coalesce(max(seq_id), 0) from $schema.mt_events)")" = t ]
}

# --- one mode -------------------------------------------------------------------------------
run_mode() {
  mode=$1
  say "$mode: starting"
  : > "$faults.$mode"
  sink_dir="$dumps/$mode"; mkdir -p "$sink_dir"; chmod 777 "$sink_dir"
  sink_port=$(free_port 26000); sink_start
  pg_dir="$work/postgres-$mode"; pg_port=$(free_port 26500)
  pg_start "$pg_dir" "$pg_port" || fail "PostgreSQL did not start"
  smtp_port=$(free_port 27000); http_port=$(free_port 28000)
  local kinds=()
  if [ "$mode" = apart ]; then
    rabbit_port=$(free_port 22700)
    rabbit_start "$work/rabbitmq" "$rabbit_port" || fail "RabbitMQ did not start"
    rabbit_port=$RABBIT_PORT
    bus=(Bus__Transport=RabbitMQ Bus__RabbitMQ__Host=127.0.0.1 Bus__RabbitMQ__Port="$rabbit_port")
    local role
    for role in events policy delivery ingress; do start "$role" "$role"; done
    for role in ingress policy delivery events; do for ((i = 0; i < trials; i++)); do kinds+=("$role"); done; done
    kinds+=(rabbitmq rabbitmq)
  else
    bus=()
    start pipeline ingress,policy,delivery,events
    for ((i = 0; i < trials; i++)); do kinds+=(pipeline); done
  fi
  kinds+=(postgres postgres sink sink)

  # The faults in a seeded random order, each after a seeded random wait.
  RANDOM=$seed
  local n=${#kinds[@]} j tmp
  for ((i = n - 1; i > 0; i--)); do j=$((RANDOM % (i + 1))); tmp=${kinds[i]}; kinds[i]=${kinds[j]}; kinds[j]=$tmp; done

  rm -f "$work/$mode-stop"
  python3 bench/chaos_send.py 127.0.0.1 "$smtp_port" "$sessions" "$size" "$work/$mode-stop" "$work/$mode-sender.log" \
    > "$work/$mode-sender.out" 2>&1 &
  sender_pid=$!
  sleep 3
  local k=0
  for kind in "${kinds[@]}"; do
    k=$((k + 1))
    sleep "$((RANDOM % 4 + 1)).$((RANDOM % 10))"
    say "$mode: fault $k of $n: $kind (sink at $(sink_count))"
    case $kind in
      pipeline) kill_role pipeline ingress,policy,delivery,events ;;
      ingress|policy|delivery|events) kill_role "$kind" "$kind" ;;
      postgres) restart_postgres ;;
      rabbitmq) restart_rabbitmq ;;
      sink) stop_sink ;;
    esac
  done

  say "$mode: faults done; the load stops once every message is accepted"
  touch "$work/$mode-stop"
  wait "$sender_pid"; sender_pid=""
  local t0; t0=$(secs)
  until settled; do
    (($(secs) - t0 < settle_limit)) || fail "$mode: did not settle in $settle_limit s: sink $(sink_count), $(cat "$work/$mode-sender.out")"
    sleep 1
  done
  local settle=$(($(secs) - t0))
  until projections_caught_up; do (($(secs) - t0 < settle_limit)) || fail "$mode: projections behind"; sleep 1; done
  sleep 2
  projection_tables > "$work/$mode-projections.before"
  curl -sf -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/projections/all/rebuild" > /dev/null \
    || fail "$mode: the rebuild failed"
  projection_tables > "$work/$mode-projections.after"
  local projections=equal
  cmp -s "$work/$mode-projections.before" "$work/$mode-projections.after" || projections="DIFFER"
  local streams
  read -r streams < <(psql_at "select count(*) from $schema.mt_events where type = 'msg:received'")

  # Which Message-Id each dump holds, and when it arrived.
  find "$sink_dir" -type f -printf '%T@ %p\n' | awk '{
      n = ""
      while ((getline line < $2) > 0) if (match(line, /^[Mm]essage-[Ii][Dd]: <chaos-[0-9]+@/)) { n = substr(line, 20, RLENGTH - 20); break }
      close($2); print $1, n
    }' > "$work/$mode-arrivals"
  python3 - "$mode" "$work/$mode-sender.log" "$work/$mode-arrivals" "$faults.$mode" "$settle" "$projections" "$streams" \
    >> "$work/chaos.md" <<'PY' || fail "$mode: a message was lost or duplicated without a named cause (see $work/chaos.md)"
import collections, statistics, sys
mode, sender_log, arrivals_log, faults_log, settle, projections, streams = sys.argv[1:8]
accepted, resent, attempts = set(), set(), 0
for line in open(sender_log):
    t, what, *rest = line.split()
    attempts += 1
    if what == "accepted":
        accepted.add(int(rest[0]))
    elif what in ("noreply", "afterdot"):
        resent.add(int(rest[-1]))
arrivals = collections.defaultdict(list)
partial = 0
for line in open(arrivals_log):
    fields = line.split()
    if len(fields) < 2:
        partial += 1  # a dump the sink began and never finished: it was stopped mid-message
        continue
    arrivals[int(fields[1])].append(float(fields[0]))
faults = [line.split() for line in open(faults_log)]
def times_of(*kinds):
    return sorted(float(t) for kind, t, _ in faults if kind in kinds)
windows = [("delivery", times_of("pipeline", "delivery")), ("sink", times_of("sink")), ("store", times_of("postgres"))]
lost = sorted(accepted - arrivals.keys())
causes = collections.Counter()
for n, times in arrivals.items():
    for extra in range(len(times) - 1):
        times.sort()
        if n in resent:
            causes["client"] += 1
        else:
            causes[next((cause for cause, at in windows if any(times[0] <= k <= times[-1] for k in at)), "unexplained")] += 1
by_kind = collections.defaultdict(list)
for kind, t, recovery in faults:
    by_kind[kind].append(float(recovery))
rows = []
for kind, times in sorted(by_kind.items()):
    rows.append(f"| {mode} | {kind} | {len(times)} | {statistics.median(times):.1f} | {max(times):.1f} |")
delivered = len(arrivals)
dups = sum(len(t) - 1 for t in arrivals.values())
print(f"\n### {mode}\n")
print("| mode | fault | trials | recovery median (s) | recovery max (s) |\n| --- | --- | --- | --- | --- |")
print("\n".join(rows))
print(f"\n| messages sent | attempts | accepted (250) | message streams | delivered | duplicates | by cause | lost | settled after the load (s) | projections vs rebuild |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
cause_text = ", ".join(f"{c} {k}" for k, c in sorted(causes.items())) or "none"
print(f"| {max(accepted | arrivals.keys())} | {attempts} | {len(accepted)} | {streams} | {delivered} | {dups} | {cause_text} | {len(lost)} | {settle} | {projections} |")
if partial:
    what = "one message: its partial dump is" if partial == 1 else f"{partial} messages: their partial dumps are"
    print(f"\nThe sink was stopped while taking {what} not counted, and delivery sent {'it' if partial == 1 else 'them'} again.")
if lost:
    print(f"\nLOST: {lost[:50]}")
sys.exit(1 if lost or causes["unexplained"] or projections != "equal" else 0)
PY
  say "$mode: done"
  tail -n 12 "$work/chaos.md" >&2
  stop_processes
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null; sink_pid=""
  rabbit_stop
  pg_stop "$pg_dir"
}

{
  echo "## bench/chaos.sh, $(date -u +%Y-%m-%d), seed $seed, $trials trials per role, $sessions sessions of $size-byte messages"
  echo "$(nproc) cores; PostgreSQL durable defaults; Delivery:ClaimLease 5 s, Delivery:RetryRules F,1h,2s"
} > "$work/chaos.md"
for m in $modes; do run_mode "$m"; done
cat "$work/chaos.md"
