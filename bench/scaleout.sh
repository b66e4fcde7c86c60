#!/usr/bin/env bash
# The scale-out test of the suite with more mail: the roles as separate processes on RabbitMQ
# and PostgreSQL (1 ingress, 2 policy, 3 delivery, 2 events), smtp-source sending MESSAGES
# messages of 2 KiB over 10 sessions, one delivery process killed (SIGKILL) once a fifth of
# them reached smtp-sink. It passes when every message arrives and each one that arrives twice
# was in flight at the kill; its output names those and gives the end-to-end rate.
#
# Usage: bench/scaleout.sh [MESSAGES]    (default 2000). Runs through ./test.sh, which starts
# and stops the servers.
set -uo pipefail
cd "$(dirname "$0")/.."
export PIPELINE_SCALEOUT_MESSAGES=${1:-2000}
exec ./test.sh --filter "FullyQualifiedName~a_sigkilled_delivery_process_loses_nothing"
