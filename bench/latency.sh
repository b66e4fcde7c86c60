#!/usr/bin/env bash
# Delivery latency at a steady offered load (issue 14): the pipeline as ./run.sh runs it
# (every role in one process, a private PostgreSQL on its durable defaults with run.sh's
# settings, Authentication-Results off), relaying everything to Postfix's smtp-sink, takes an
# open-loop load of RATE messages a second for DURATION seconds from bench/paced_send.py (each
# message on its own connection, started on schedule: smtp-source's closed loop cannot hold a
# rate). It prints, from the event store, the time from each message's msg:received to its
# msg:delivery (the transactions' timestamps): p50, p90, p99 and the maximum, and whether the
# p99 is under the target of 1 s. Set RATE to half the peak end-to-end rate bench/pipeline.sh
# measured on the same machine the same day.
#
# Usage: flock /tmp/pipeline-dotnet.lock bench/latency.sh
#   environment: RATE (190), DURATION (60), SIZE (2048), WARMUP (3000: messages sent first with
#                smtp-source and left out of the figures, for the JIT)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/common.sh
. bench/postfix.sh

rate=${RATE:-190}
duration=${DURATION:-60}
size=${SIZE:-2048}
warmup=${WARMUP:-3000}
schema=bench

work=$(mktemp -d /tmp/pipeline-latency.XXXXXX)
chmod 755 "$work"
dumps=$(mktemp -d /dev/shm/pipeline-latency-sink.XXXXXX)
chmod 777 "$dumps"   # smtp-sink writes as nobody
sink_pid="" pipeline_pid=""
cleanup() {
  [ -n "$pipeline_pid" ] && kill -TERM "$pipeline_pid" 2>/dev/null && wait "$pipeline_pid" 2>/dev/null
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  pg_stop "$work/postgres"
  rm -rf "$dumps" "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

postfix_unpack || exit 1
dotnet build host/Pipeline.Host.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1

sink_port=$(free_port 26000)
LD_LIBRARY_PATH="$POSTFIX_TREE/usr/lib/postfix" "$POSTFIX_TREE/usr/sbin/smtp-sink" -c -u nobody \
  -d "$dumps/%H%M%S." 127.0.0.1:"$sink_port" 1000 > "$work/counter" 2> "$work/sink.log" &
sink_pid=$!
wait_port "$sink_port" 10 || fail "smtp-sink did not start: $(cat "$work/sink.log")"

pg_port=$(free_port 26500)
PG_EXTRA_OPTIONS="$PIPELINE_PG_OPTIONS" pg_start "$work/postgres" "$pg_port" || fail "PostgreSQL did not start"
psql_at() { as_postgres "$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tA -F ' ' -c "$1"; }
completed() { psql_at "select count(*) from $schema.mt_events where type = 'msg:complete'" 2>/dev/null || echo 0; }

smtp_port=$(free_port 27000)
env Roles=ingress,policy,delivery,events Store__Schema="$schema" Store__ConnectionString="$(embedded_store "$pg_port")" \
  Ingress__Listen="127.0.0.1:$smtp_port" Ingress__SmtpAcceptMaxPerHost=1000 Ingress__SmtpAcceptMax=1000 \
  Events__Listen="http://127.0.0.1:$(free_port 28000)" \
  Delivery__Routes__0__Domains__0='*' Delivery__Routes__0__Hosts__0="127.0.0.1:$sink_port" \
  Policy__AuthenticationResults=false Logging__LogLevel__mainlog=Warning \
  dotnet host/bin/Release/net10.0/pipeline.dll > "$work/pipeline.log" 2>&1 &
pipeline_pid=$!
wait_port "$smtp_port" 90 || { tail -n 20 "$work/pipeline.log" >&2; fail "the pipeline did not start"; }

# wait_completed COUNT: until COUNT messages have their msg:complete (at most 120 s).
wait_completed() {
  local deadline=$((SECONDS + 120))
  until [ "$(completed)" -ge "$1" ]; do
    ((SECONDS < deadline)) || fail "only $(completed) of $1 messages completed"
    sleep 0.5
  done
}

say "warm-up: $warmup messages with smtp-source"
LD_LIBRARY_PATH="$POSTFIX_TREE/usr/lib/postfix" "$POSTFIX_TREE/usr/sbin/smtp-source" -s 20 -m "$warmup" -l "$size" \
  -f sender@bench.test -t rcpt@bench.test -M bench.test 127.0.0.1:"$smtp_port" || fail "smtp-source failed"
wait_completed "$warmup"
mark=$(psql_at "select max(seq_id) from $schema.mt_events")

say "measured: $rate messages a second for $duration s, $size bytes each, one per connection"
sent=$(python3 bench/paced_send.py 127.0.0.1 "$smtp_port" "$rate" "$duration" "$size") || fail "the paced load failed: $sent"
say "  $sent"
total=$(awk -v r="$rate" -v d="$duration" 'BEGIN { printf "%d", r * d }')
wait_completed $((warmup + total))

read -r count p50 p90 p99 max < <(psql_at "
  with r as (select stream_id, timestamp t from $schema.mt_events where type = 'msg:received' and seq_id > $mark),
       d as (select stream_id, min(timestamp) t from $schema.mt_events where type = 'msg:delivery' group by stream_id),
       l as (select extract(epoch from d.t - r.t) s from r join d using (stream_id))
  select count(*), round(percentile_cont(0.5) within group (order by s)::numeric, 3),
         round(percentile_cont(0.9) within group (order by s)::numeric, 3),
         round(percentile_cont(0.99) within group (order by s)::numeric, 3), round(max(s)::numeric, 3) from l")
[ "$count" -eq "$total" ] || fail "$count of $total measured messages have a msg:delivery"
verdict=$(awk -v p="$p99" 'BEGIN { print (p < 1 ? "under" : "NOT under") }')
echo "== $(date +%F): $total messages at $rate/s over $duration s ($size bytes, one per connection), after $warmup to warm up"
echo "msg:received to msg:delivery: p50 ${p50} s, p90 ${p90} s, p99 ${p99} s, max ${max} s: the p99 is $verdict the target of 1 s"
