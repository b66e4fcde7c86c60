#!/usr/bin/env bash
# Runs the whole pipeline (ingress, policy, delivery, events) in one process on the in-memory
# bus. Without Store__ConnectionString it starts a private PostgreSQL under .data/ (or
# $PIPELINE_DATA) and stops it on exit. Arguments and Section__Key environment variables
# configure the pipeline; Ctrl-C or SIGTERM stops everything it started.
set -uo pipefail
cd "$(dirname "$0")"
. scripts/common.sh

pg_dir=""
cleanup() { [ -n "$pg_dir" ] && pg_stop "$pg_dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${Store__ConnectionString:-}" ]; then
  pg_dir="${PIPELINE_DATA:-$(pwd)/.data}/postgres"
  port=$(free_port 24320)
  PG_EXTRA_OPTIONS="$PIPELINE_PG_OPTIONS" pg_start "$pg_dir" "$port" || { echo "could not start PostgreSQL" >&2; exit 1; }
  Store__ConnectionString=$(embedded_store "$port"); export Store__ConnectionString
  echo "PostgreSQL (private, data in $pg_dir) on 127.0.0.1:$port"
fi

dotnet build host/Pipeline.Host.csproj -c Release -nologo -v q -clp:ErrorsOnly || exit 1
dotnet host/bin/Release/net10.0/pipeline.dll "$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null' INT TERM
wait $child; rc=$?
# A signal interrupts the first wait; wait again for the graceful stop to finish.
kill -0 $child 2>/dev/null && wait $child && rc=$?
exit $rc
