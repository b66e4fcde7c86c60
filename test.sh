#!/usr/bin/env bash
# Installs what the tests need (Debian packages with apt-get when missing; Postfix's
# smtp-sink and smtp-source unpacked from the postfix package, which conflicts with exim4),
# starts private PostgreSQL and RabbitMQ servers on loopback, runs every test of the
# solution, stops what it started, and exits non-zero on any failure.
# Arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Ingress).
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
. scripts/common.sh
. scripts/containers.sh

work=$(mktemp -d /tmp/pipeline-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  podman_service_stop
  rabbit_stop
  pg_stop "$work/postgres"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install postgresql rabbitmq-server swaks libnet-ssleay-perl nsd haproxy openssl faketime exim4-daemon-heavy redis-server python3-dkim unbound microsocks ldnsutils || exit 1

# Containers, for the compose test: podman (configured for this kind of host) as the engine
# docker-compose drives through its Docker-compatible socket; the base image, made once per
# machine when no registry can be reached; the test's own images, built once and cached.
containers_install || exit 1
containers_configure || exit 1
podman_service_start "$work/podman.log" || exit 1
base_image || { echo "could not build $BASE_IMAGE" >&2; exit 1; }
compose_test_images "$work" || exit 1
export PIPELINE_TEST_DOCKER_HOST="unix://$PODMAN_SOCKET"

# smtp-sink and smtp-source, from the postfix package without installing it.
postfix_dir="$root/.data/postfix"
if [ ! -x "$postfix_dir/usr/sbin/smtp-sink" ]; then
  echo "unpacking smtp-sink and smtp-source from the postfix package" >&2
  [ -n "${APT_UPDATED:-}" ] || { apt-get -o DPkg::Lock::Timeout=300 update -qq; APT_UPDATED=1; }
  mkdir -p "$postfix_dir"
  (cd "$work" && apt-get download -qq postfix 2>/dev/null && dpkg-deb -x postfix_*.deb "$postfix_dir") || {
    echo "could not unpack the postfix package" >&2; exit 1; }
fi

pg_port=$(free_port 25432)
PG_EXTRA_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  pg_start "$work/postgres" "$pg_port" || { echo "could not start PostgreSQL" >&2; exit 1; }
rabbit_start "$work/rabbitmq" "$(free_port 22672)" || exit 1
rabbit_port=$RABBIT_PORT
echo "PostgreSQL on 127.0.0.1:$pg_port, RabbitMQ on 127.0.0.1:$rabbit_port" >&2

export PIPELINE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export PIPELINE_TEST_RABBITMQ="127.0.0.1:$rabbit_port"
export PIPELINE_TEST_POSTFIX="$postfix_dir"

dotnet build Pipeline.sln -c Release -nologo -v q -clp:ErrorsOnly || exit 1
# A test stuck for 5 minutes stops its test host (no dump), and dotnet test then names it
# ("The test running when the crash occurred"), so one hang cannot hold CI.
dotnet test Pipeline.sln -c Release --no-build -nologo --logger "console;verbosity=detailed" \
  --blame-hang-timeout 5m --blame-hang-dump-type none --results-directory "$work/results" "$@"
tests=$?

# The fuzz targets (tests/Fuzz): every committed input replayed, then a few seconds of AFL++ on
# each; bench/fuzz.sh runs them for hours. Skipped when arguments chose some tests.
fuzz=0
if [ $# -eq 0 ]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-3} FUZZ_OUT="$work/fuzz" bench/fuzz.sh; fuzz=$?
fi
[ $tests -eq 0 ] && [ $fuzz -eq 0 ]
