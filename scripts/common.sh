# Shared by run.sh and test.sh: package installation, free ports, private servers.
# Every server runs on 127.0.0.1 with its data under a folder we own, and is stopped by pid.

# apt_install PKG...: installs the packages that are missing, without starting their daemons.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or install them)" >&2; return 1
  fi
  echo "installing ${missing[*]}" >&2
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get -o DPkg::Lock::Timeout=300 update -qq >&2; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2
  local rc=$?
  [ -n "$created" ] && rm -f "$policy"
  return $rc
}

# free_port START: the first port from START on that no socket uses, listening or not.
# Callers start below the kernel's ephemeral range (32768 and up), where no outgoing
# connection can take a port between this check and the server's bind.
free_port() {
  local port=$1
  while port_used "$port"; do port=$((port + 1)); done
  echo "$port"
}

port_used() {
  if command -v ss >/dev/null; then
    [ -n "$(ss -Htuan "( sport = :$1 )" 2>/dev/null)" ]
  else
    (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# wait_port PORT SECONDS: waits until something listens on PORT.
wait_port() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# as_postgres CMD...: PostgreSQL refuses to run as root; run it as the postgres user then.
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# What ./run.sh gives its private PostgreSQL (and bench/pipeline.sh the same, to measure what
# run.sh runs): 16 MB of shared buffers instead of 128. The pipeline's working set is the tail
# of the log and the queue; measured with bench/pipeline.sh, the same rate and 50 to 60 MB less
# memory. Set PIPELINE_PG_OPTIONS (to "" for PostgreSQL's own defaults) to change it.
PIPELINE_PG_OPTIONS=${PIPELINE_PG_OPTIONS--c shared_buffers=16MB}

# embedded_store PORT: the connection string ./run.sh gives its one process (and
# bench/pipeline.sh the same): at most 10 connections, not Npgsql's 100; measured, 10 take the
# same rate as the 13 to 17 it opened, for less memory.
embedded_store() { echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=postgres;Maximum Pool Size=10"; }

# pg_start DIR PORT: starts (creating if needed) a private cluster in DIR on 127.0.0.1:PORT.
pg_start() {
  local dir=$1 port=$2 bin
  [ -n "$(pg_bin)" ] || apt_install postgresql || return 1
  bin=$(pg_bin)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  if ! as_postgres test -w "$dir"; then
    echo "PostgreSQL cannot write $dir (as root, the postgres user must be able to reach it)" >&2; return 1
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
  fi
  as_postgres setsid "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir ${PG_EXTRA_OPTIONS:-}" start >/dev/null || {
    tail -n 20 "$dir/server.log" >&2; return 1; }
}

# pg_stop DIR: stops the cluster in DIR if it runs.
pg_stop() {
  local bin
  bin=$(pg_bin)
  [ -f "$1/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true
}

# rabbit_env DIR PORT EPMD_PORT DIST_PORT: the environment of a private RabbitMQ node in DIR.
rabbit_env() {
  echo "HOME=$1 RABBITMQ_MNESIA_BASE=$1/mnesia RABBITMQ_LOG_BASE=$1/log RABBITMQ_NODENAME=pipeline@localhost" \
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$2 RABBITMQ_DIST_PORT=$4 ERL_EPMD_PORT=$3" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$1/enabled_plugins RABBITMQ_CONFIG_FILE=$1/rabbitmq RABBITMQ_ADVANCED_CONFIG_FILE=$1/advanced.config" \
    "RABBITMQ_PID_FILE=$1/rabbit.pid"
}

# rabbit_start DIR PORT: starts a private RabbitMQ node on 127.0.0.1 with its own epmd, on PORT
# or, when another process takes a port first, on the next free one; sets RABBIT_PORT,
# RABBIT_PID and EPMD_PID.
rabbit_start() {
  local dir=$1 port=$2 attempt
  apt_install rabbitmq-server || return 1
  for attempt in 1 2 3; do
    rabbit_start_on "$dir" "$port" && return 0
    grep -q eaddrinuse "$dir/server.log" "$dir/log"/*.log 2>/dev/null || break
    rabbit_stop
    echo "RabbitMQ found a port taken; trying the next free ones" >&2
    port=$(free_port $((port + 1)))
  done
  echo "RabbitMQ did not start; its log:" >&2; tail -n 30 "$dir/server.log" >&2
  return 1
}

rabbit_start_on() {
  local dir=$1 port=$2 epmd_port dist_port sbin
  sbin=$(ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin | sort -V | tail -n 1)
  mkdir -p "$dir/mnesia" "$dir/log"
  rm -f "$dir/server.log" "$dir/log"/*.log
  echo "[]." > "$dir/enabled_plugins"
  # Loopback only: the default listener binds every interface, where another node may hold the port.
  printf 'loopback_users.guest = true\nlisteners.tcp.1 = 127.0.0.1:%s\n' "$port" > "$dir/rabbitmq.conf"
  echo "[]." > "$dir/advanced.config"
  [ -f "$dir/.erlang.cookie" ] || { head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/.erlang.cookie"; chmod 400 "$dir/.erlang.cookie"; }
  epmd_port=$(free_port $((port + 1000)))
  dist_port=$(free_port $((epmd_port + 1)))
  epmd -address 127.0.0.1 -port "$epmd_port" > "$dir/epmd.log" 2>&1 &
  EPMD_PID=$!
  env $(rabbit_env "$dir" "$port" "$epmd_port" "$dist_port") "$sbin/rabbitmq-server" > "$dir/server.log" 2>&1 &
  RABBIT_PID=$!
  RABBIT_PORT=$port
  RABBIT_CTL="env $(rabbit_env "$dir" "$port" "$epmd_port" "$dist_port") $sbin/rabbitmq-diagnostics"
  local i
  for ((i = 0; i < 90; i++)); do
    $RABBIT_CTL -q check_port_connectivity >/dev/null 2>&1 && return 0
    kill -0 "$RABBIT_PID" 2>/dev/null || break
    sleep 1
  done
  return 1
}

# rabbit_stop: stops the node and its epmd.
rabbit_stop() {
  if [ -n "${RABBIT_PID:-}" ]; then
    kill "$RABBIT_PID" 2>/dev/null
    # rabbitmq-server runs the Erlang VM as a child; stop the whole tree it started.
    pkill -TERM -P "$RABBIT_PID" 2>/dev/null
    wait "$RABBIT_PID" 2>/dev/null
    RABBIT_PID=""
  fi
  if [ -n "${EPMD_PID:-}" ]; then kill "$EPMD_PID" 2>/dev/null; wait "$EPMD_PID" 2>/dev/null; EPMD_PID=""; fi
}
