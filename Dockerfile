# The pipeline's one image: every role runs the same executable, and `Roles` (ingress, policy,
# delivery, events; comma-separated; all four when unset) picks what a container does.
#
# The .NET SDK is not part of the build: scripts/image.sh publishes host/Pipeline.Host.csproj
# self-contained for linux-x64 into .data/image/app, then builds this file with the whole tree
# as context (.dockerignore lets only that folder in). So `docker build .` alone works only
# after a publish:
#   scripts/image.sh            # publish + build, tagged pipeline:latest
FROM debian:bookworm-slim

# ca-certificates: delivery verifies servers' certificates against the system's store
# (Delivery:TlsVerifyCertificates=system). curl: the health check below. No libicu: the
# project builds with InvariantGlobalization.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

# A user of its own, with no login and no home to write in; the program's files stay root's,
# so the process cannot change them.
RUN groupadd --gid 10025 pipeline \
 && useradd --uid 10025 --gid pipeline --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin pipeline

COPY .data/image/app /app

# Beyond loopback inside the container, where the engine's port publishing reaches it:
# SMTP on 2525 (an unprivileged port: the user is not root; publish it as 25), the events
# HTTP API on 8025 (which then refuses to start without Events__ApiTokens__0__Token and
# __Role), the management listener (health, metrics) on 9090, which has no token: publish
# it nowhere beyond the operator's network.
ENV Ingress__Listen=0.0.0.0:2525 \
    Events__Listen=http://0.0.0.0:8025 \
    Management__Listen=http://0.0.0.0:9090

EXPOSE 2525 8025 9090
# Numeric, so that an orchestrator can tell the user is not root without reading /etc/passwd.
USER 10025:10025
WORKDIR /app

# Ready: PostgreSQL and the broker answer. Podman keeps HEALTHCHECK only in images built
# with --format docker, which scripts/image.sh uses.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9090/health/ready || exit 1

ENTRYPOINT ["/app/pipeline"]
