#!/usr/bin/env bash
# The events role at scale: with about a million events stored, how fast events are appended,
# how fast the projections are built from them, and the p50/p99 latency of a message's
# history (GET /messages/{id}/events) and of a recipient search (GET /messages?recipient=).
#
# MESSAGES messages are appended as ingress and delivery append them (msg:received with the
# connection's events in one transaction per 100 messages, then msg:delivery and msg:complete),
# four transactions at a time, on a private PostgreSQL with its durable defaults. About 3.3
# events per message: the default 300,000 messages make a million events. A pipeline running
# only the events role then builds its projections from the whole log, and SAMPLES requests of
# each kind are timed one after another.
#
# Usage: bench/events.sh [MESSAGES] [SAMPLES]    (defaults: 300000 1000)
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

messages=${1:-300000}
samples=${2:-1000}

work=$(mktemp -d /tmp/pipeline-bench-events.XXXXXX)
chmod 755 "$work"
pipeline_pid=""
cleanup() {
  [ -n "$pipeline_pid" ] && kill "$pipeline_pid" 2>/dev/null && wait "$pipeline_pid" 2>/dev/null
  pg_stop "$work/postgres"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_port=$(free_port 26100)
pg_start "$work/postgres" "$pg_port" || exit 1
store="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"

dotnet build host/Pipeline.Host.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1
dotnet build bench/Events.Bench/Events.Bench.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1
bench=bench/Events.Bench/bin/Release/net10.0/Events.Bench.dll

echo "== append"
dotnet "$bench" seed "$store" bench "$messages" "$work/ids" || exit 1
as_postgres "$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -At \
  -c "select 'stored: ' || count(*) || ' events, ' || pg_size_pretty(pg_total_relation_size('bench.mt_events')) from bench.mt_events"

echo "== projections and reads"
http_port=$(free_port 28100)
Roles=events Store__ConnectionString="$store" Store__Schema=bench Events__Listen="http://127.0.0.1:$http_port" \
  dotnet host/bin/Release/net10.0/pipeline.dll > "$work/pipeline.log" 2>&1 &
pipeline_pid=$!
wait_port "$http_port" 60 || { tail -n 30 "$work/pipeline.log"; exit 1; }
dotnet "$bench" query "http://127.0.0.1:$http_port" "$samples" "$work/ids" || { tail -n 30 "$work/pipeline.log"; exit 1; }
