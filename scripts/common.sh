# Shared by run.sh and test.sh: package installation, free ports, private servers.
# Every server runs on 127.0.0.1 with its data under a folder we own, and is stopped by pid.

# apt_install PKG...: installs the packages that are missing, without starting their daemons.
apt_install() {
  local missing=()
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

# free_port START: the first port from START on that nothing listens on.
free_port() {
  local port=$1
  while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
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
