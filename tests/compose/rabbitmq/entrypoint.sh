#!/bin/sh
# Writes the broker's configuration from the official image's variables, then runs the
# command: a listener on every address (the compose network keeps it private) and the user
# the pipeline connects as.
set -eu
{
  echo "listeners.tcp.default = 5672"
  [ -z "${RABBITMQ_DEFAULT_USER:-}" ] || echo "default_user = $RABBITMQ_DEFAULT_USER"
  [ -z "${RABBITMQ_DEFAULT_PASS:-}" ] || echo "default_pass = $RABBITMQ_DEFAULT_PASS"
} > "$RABBITMQ_CONFIG_FILE"
exec "$@"
