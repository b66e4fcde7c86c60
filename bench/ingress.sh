#!/usr/bin/env bash
# Ingress throughput against Postfix, on this machine, in one run.
#
# Postfix's smtp-source sends MESSAGES messages of SIZE bytes over SESSIONS parallel
# sessions, first to the pipeline (every role in one process, PostgreSQL with its durable
# defaults: fsync and synchronous_commit on), then to a real Postfix accepting into its own
# queue; both relay to Postfix's smtp-sink. It prints messages/s for both and the ratio, and
# checks that every message the pipeline answered 250 is stored.
#
# Each side first takes WARMUP messages the same way and finishes delivering them before the
# measured run: the pipeline's JIT compiles its hot paths to their optimized tier during the
# first few thousand messages, which is start-up cost, not throughput.
#
# The pipeline runs every role in one process, as ./run.sh does; PIPELINE_ROLES runs fewer
# (e.g. ingress,policy,delivery, leaving the events role and its projections out; or
# ingress,policy, the services a deployment puts at its door, with nothing delivered: the
# messages stay queued, durable, for a delivery role elsewhere).
#
# Usage: bench/ingress.sh [MESSAGES] [SESSIONS] [SIZE] [WARMUP]    (defaults: 20000 20 2048 5000)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/common.sh
. bench/postfix.sh

messages=${1:-20000}
sessions=${2:-20}
size=${3:-2048}
warmup=${4:-5000}
roles="${PIPELINE_ROLES:-ingress,policy,delivery,events}"

work=$(mktemp -d /tmp/pipeline-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  postfix_stop "$work/postfix" 2>/dev/null
  pg_stop "$work/postgres"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

postfix_unpack || exit 1
tools="$POSTFIX_TREE/usr/sbin"
export LD_LIBRARY_PATH="$POSTFIX_TREE/usr/lib/postfix"

sink_port=$(free_port 26000)
"$tools/smtp-sink" -u nobody 127.0.0.1:"$sink_port" 1000 &
pids+=($!)

pg_port=$(free_port 26500)
pg_start "$work/postgres" "$pg_port" || exit 1
store="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"

dotnet build host/Pipeline.Host.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1
smtp_port=$(free_port 27000)
http_port=$(free_port 28000)
Roles="$roles" Store__ConnectionString="$store" Store__Schema=bench \
Ingress__Listen="127.0.0.1:$smtp_port" Events__Listen="http://127.0.0.1:$http_port" \
Ingress__SmtpAcceptMaxPerHost=1000 Ingress__SmtpAcceptMax=1000 \
Delivery__Routes__0__Domains__0='*' Delivery__Routes__0__Hosts__0="127.0.0.1:$sink_port" \
Logging__LogLevel__mainlog=Warning Policy__AuthenticationResults=false \
  dotnet host/bin/Release/net10.0/pipeline.dll > "$work/pipeline.log" 2>&1 &
pids+=($!)
wait_port "$smtp_port" 60 || { echo "the pipeline did not start:" >&2; tail -20 "$work/pipeline.log" >&2; exit 1; }

# run_source PORT COUNT: sends COUNT messages, prints the seconds it took.
run_source() {
  local start end
  start=$(date +%s.%N)
  "$tools/smtp-source" -s "$sessions" -m "$2" -l "$size" -f sender@bench.test -t rcpt@bench.test \
    -M bench.test 127.0.0.1:"$1" || return 1
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { print e - s }'
}

# completed_count: how many messages the pipeline has finished delivering.
completed_count() {
  as_postgres /usr/lib/postgresql/*/bin/psql -h 127.0.0.1 -p "$pg_port" -U postgres -tA \
    -c "select count(*) from bench.mt_events where type = 'msg:complete'"
}
# wait_drained COUNT: waits (at most 5 minutes) until COUNT messages are delivered; at once
# without a delivery role.
wait_drained() {
  if [[ ",$roles," != *,delivery,* ]]; then completed=0; return 0; fi
  for _ in $(seq 1 600); do
    completed=$(completed_count)
    [ "$completed" -ge "$1" ] && return 0
    sleep 0.5
  done
  return 1
}

echo "warming up the pipeline ($warmup messages)" >&2
run_source "$smtp_port" "$warmup" >/dev/null || exit 1
wait_drained "$warmup" || { echo "the pipeline did not deliver its warm-up messages" >&2; exit 1; }
echo "pipeline: $messages messages of $size bytes over $sessions sessions" >&2
pipeline_seconds=$(run_source "$smtp_port" "$messages") || exit 1
stored=$(as_postgres /usr/lib/postgresql/*/bin/psql -h 127.0.0.1 -p "$pg_port" -U postgres -tA \
  -c "select count(*) from bench.mt_events where type = 'msg:received'")
expected=$((messages + warmup))
[ "$stored" -eq "$expected" ] || { echo "only $stored of $expected messages are stored" >&2; exit 1; }

# Postfix must not share the CPU with the pipeline's delivery backlog: wait for it to drain,
# then stop the pipeline.
drain_start=$(date +%s.%N)
wait_drained "$expected"
drain_seconds=$(awk -v s="$drain_start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
kill "${pids[1]}" 2>/dev/null
wait "${pids[1]}" 2>/dev/null

postfix_port=$(free_port 25300)
postfix_start "$work/postfix" "$postfix_port" "$sink_port" || exit 1
echo "warming up Postfix ($warmup messages)" >&2
run_source "$postfix_port" "$warmup" >/dev/null || exit 1
for _ in $(seq 1 600); do postfix_queue_empty "$work/postfix" && break; sleep 0.5; done
echo "postfix: $messages messages of $size bytes over $sessions sessions" >&2
postfix_seconds=$(run_source "$postfix_port" "$messages") || exit 1

pipeline_rate=$(awk -v m="$messages" -v s="$pipeline_seconds" 'BEGIN { print m / s }')
postfix_rate=$(awk -v m="$messages" -v s="$postfix_seconds" 'BEGIN { print m / s }')
if [[ ",$roles," == *,delivery,* ]]; then
  printf 'pipeline: %d messages in %.1f s: %.0f messages/s (all %d stored before their 250; %d delivered, the last %.1f s after the run)\n' \
    "$messages" "$pipeline_seconds" "$pipeline_rate" "$stored" "$completed" "$drain_seconds"
else
  printf 'pipeline (%s): %d messages in %.1f s: %.0f messages/s (all %d stored before their 250, queued for delivery)\n' \
    "$roles" "$messages" "$pipeline_seconds" "$pipeline_rate" "$stored"
fi
printf 'postfix:  %d messages in %.1f s: %.0f messages/s\n' "$messages" "$postfix_seconds" "$postfix_rate"
printf 'ratio pipeline/postfix: %.2f\n' "$(awk -v a="$pipeline_rate" -v b="$postfix_rate" 'BEGIN { print a / b }')"
