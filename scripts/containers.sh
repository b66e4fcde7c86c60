# Containers without a Docker engine: Debian's podman, run as a Docker-compatible engine
# (`podman system service`), driven by Debian's docker-compose 1.29 through DOCKER_HOST.
# Sourced by test.sh after scripts/common.sh (apt_install).
# What each setting is for, and what fails without it: the comments below.

PODMAN_SOCKET=/run/podman/podman.sock
PODMAN_SERVICE_PID=""

# containers_install: the engine, its runtime and DNS between containers, compose, and
# debootstrap for the base image. netavark + aardvark-dns give a compose network's services
# each other's names (CNI, podman's other backend, resolves none without the dnsname plugin).
# netavark sets up each container's network with iptables, which its package does not pull
# in: without it every RUN of a build fails "netavark: No such file or directory".
containers_install() {
  apt_install podman runc netavark aardvark-dns iptables docker-compose debootstrap
}

# containers_configure: podman's settings for a host like this one (cgroup v1, root, no
# systemd as PID 1). crun refuses "cgroups in hybrid mode"; runc without explicit ulimits
# fails "setrlimit RLIMIT_NOFILE: Operation not permitted"; the systemd cgroup manager needs
# systemd. A missing /etc/containers/containers.conf is written, naming netavark too (podman
# keeps CNI on a machine where it ran before netavark was installed); an existing one is left
# as it is and only the first three settings, when it lacks them, go in a drop-in, which
# podman reads after it: its network backend stays the one its containers were made with.
containers_configure() {
  local conf=/etc/containers/containers.conf dropin=/etc/containers/containers.conf.d/50-pipeline.conf
  local containers=() engine=() ulimits
  ulimits=$(containers_ulimits)
  if [ ! -e "$conf" ]; then
    mkdir -p /etc/containers
    cat > "$conf" <<EOF
# Written by the pipeline's test.sh (scripts/containers.sh): podman on a cgroup v1 host
# without systemd as PID 1.
[containers]
default_ulimits = $ulimits
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
[network]
network_backend = "netavark"
EOF
    return 0
  fi
  grep -q '^[[:space:]]*default_ulimits' "$conf" || containers+=("default_ulimits = $ulimits")
  grep -q '^[[:space:]]*runtime[[:space:]]*=' "$conf" || engine+=('runtime = "runc"')
  grep -q '^[[:space:]]*cgroup_manager' "$conf" || engine+=('cgroup_manager = "cgroupfs"')
  [ $((${#containers[@]} + ${#engine[@]})) -eq 0 ] && return 0
  [ -e "$dropin" ] && return 0
  mkdir -p "$(dirname "$dropin")"
  {
    echo "# Written by the pipeline's test.sh (scripts/containers.sh): what $conf lacks."
    [ ${#containers[@]} -gt 0 ] && printf '[containers]\n%s\n' "${containers[@]}"
    [ ${#engine[@]} -gt 0 ] && { echo "[engine]"; printf '%s\n' "${engine[@]}"; }
  } > "$dropin"
}

# containers_ulimits: the containers' limits: 16384 each, or this process's hard limit when
# lower. runc cannot raise a limit past what it was given (nproc=65536 failed here under a
# hard limit of 96367), and without explicit limits podman asks for more than that.
containers_ulimits() {
  local nofile nproc
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] || [ "$nofile" -gt 16384 ] && nofile=16384
  nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 16384 ] && nproc=16384
  echo "[\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
}

# podman_answers: true when the engine's socket answers the Docker API.
podman_answers() {
  [ "$(curl -s -m 5 --unix-socket "$PODMAN_SOCKET" http://d/_ping 2>/dev/null)" = "OK" ]
}

# podman_service_start LOG: starts `podman system service` on $PODMAN_SOCKET unless something
# answers there already (a systemd podman.socket, an earlier run); sets PODMAN_SERVICE_PID
# only when it started one, for podman_service_stop.
podman_service_start() {
  podman_answers && return 0
  mkdir -p "$(dirname "$PODMAN_SOCKET")"
  rm -f "$PODMAN_SOCKET"
  # --time=0: no idle timeout. setsid: a Ctrl-C at the terminal reaches test.sh, whose
  # cleanup stops the service, rather than the service in the middle of a test.
  setsid podman system service --time=0 "unix://$PODMAN_SOCKET" </dev/null >"$1" 2>&1 &
  PODMAN_SERVICE_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    podman_answers && return 0
    kill -0 "$PODMAN_SERVICE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "podman system service did not answer on $PODMAN_SOCKET; its log:" >&2
  tail -n 20 "$1" >&2
  podman_service_stop
  return 1
}

# podman_service_stop: stops the service podman_service_start started, if it did.
podman_service_stop() {
  [ -n "$PODMAN_SERVICE_PID" ] || return 0
  kill "$PODMAN_SERVICE_PID" 2>/dev/null
  wait "$PODMAN_SERVICE_PID" 2>/dev/null
  PODMAN_SERVICE_PID=""
}

# base_image: docker.io/library/debian:bookworm-slim, the base of every image here, built
# once per machine with debootstrap from apt's own Debian mirror when no registry can be
# reached. Tagged with the official name, `FROM debian:bookworm-slim` resolves to it here
# (no pull) and to the official image on a machine that reaches Docker Hub.
BASE_IMAGE=docker.io/library/debian:bookworm-slim
base_image() {
  podman image exists "$BASE_IMAGE" && return 0
  local mirror rootfs rc
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d /tmp/pipeline-rootfs.XXXXXX)
  echo "building $BASE_IMAGE with debootstrap from $mirror (once per machine, about a minute)" >&2
  if debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    # As the official image: apt's sources in debian.sources, with updates and security
    # (the host's own file when it has one); no package files or lists left behind.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
      rm -f "$rootfs/etc/apt/sources.list"
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | podman import -q --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    rc=$?
  else
    rc=1
    tail -n 20 "$rootfs.log" >&2
  fi
  rm -rf "$rootfs" "$rootfs.log"
  return $rc
}

# compose_test_images LOGDIR: the images tests/compose/compose.test.yaml runs beside the
# pipeline's (PostgreSQL, RabbitMQ, Redis, smtp-sink: pipeline-test-NAME from
# tests/compose/NAME), built ahead, so that the compose test, which builds them again from the
# layer cache in seconds, does not spend its time on apt-get (about 90 s the first time).
compose_test_images() {
  local dir name
  for dir in tests/compose/*/; do
    [ -f "$dir/Dockerfile" ] || continue
    name=$(basename "$dir")
    podman build -q --format docker -t "pipeline-test-$name:latest" "$dir" >"$1/image-$name.log" 2>&1 || {
      echo "building the $name test image failed:" >&2; tail -n 20 "$1/image-$name.log" >&2; return 1; }
  done
}
