#!/usr/bin/env bash
# Delivery latency at a steady offered load (issue 14): the pipeline as ./run.sh runs it
# (bench/pipeline.sh's `embedded` target: every role in one process, a private PostgreSQL on
# its durable defaults with run.sh's settings, Authentication-Results off), relaying everything
# to Postfix's smtp-sink, takes an open-loop load of RATE messages a second for DURATION seconds
# from bench/paced_send.py (each message on its own connection, started on schedule:
# smtp-source's closed loop cannot hold a rate). It prints, from the event store, the time from
# each message's msg:received to its msg:delivery (the transactions' timestamps): p50, p90,
# p99 and the maximum, and whether the p99 is under the target of 1 s. Set RATE to half the
# peak end-to-end rate bench/pipeline.sh measured on the same machine the same day.
#
# Usage: flock /tmp/pipeline-dotnet.lock bench/latency.sh
#   environment: RATE (190), DURATION (60), SIZE (2048), WARMUP (3000: messages sent first with
#                smtp-source and left out of the figures, for the JIT), STALL (120)
# shellcheck source=bench/pipeline.sh
. "$(dirname "$0")/pipeline.sh"   # its targets, checks and clean-up; sourced, it runs nothing

rate=${RATE:-190}
duration=${DURATION:-60}
total=$(awk -v r="$rate" -v d="$duration" 'BEGIN { printf "%d", r * d }')

postfix_unpack || exit 1
dotnet build host/Pipeline.Host.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1
target=embedded
sink_start latency
start_embedded latency

say "warm-up: $warmup messages with smtp-source"
source_run "$smtp_port" "$warmup" "$sink_dir/warmup.done"
wait_settled "$warmup" || fail "the warm-up of $warmup did not settle: $(unsettled_why)"
wait "$source_pid"
mark=$(psql_at "select max(seq_id) from $schema.mt_events")

say "measured: $rate messages a second for $duration s, $size bytes each, one per connection"
sent=$(python3 bench/paced_send.py 127.0.0.1 "$smtp_port" "$rate" "$duration" "$size") || fail "the paced load failed: $sent"
say "  $sent"
wait_settled $((warmup + total)) || fail "the measured load did not settle: $(unsettled_why)"

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
