#!/usr/bin/env bash
# Builds the pipeline's image (tag pipeline:latest, or $PIPELINE_IMAGE), the one compose.yaml
# runs for every role:
#   1. copies the tree's sources (tracked, and untracked but not ignored) to .data/image/src,
#      so that publishing never touches the bin/ and obj/ folders of a build in the tree;
#   2. publishes host/Pipeline.Host.csproj there, self-contained for linux-x64, to
#      .data/image/app (no .NET SDK image is needed, nor any registry but NuGet);
#   3. builds the Dockerfile with podman when it is installed (in Docker's image format, which
#      keeps HEALTHCHECK), else with docker; $CONTAINER_ENGINE chooses otherwise.
# Run again after a change: the copy keeps its obj/ folders, so the publish is incremental, and
# the engine's layer cache rebuilds only the layer of the program's files when they changed.
#
# $PIPELINE_DOTNET_LOCK (default /tmp/pipeline-dotnet.lock) is a file the publish holds a flock
# on, so that it never runs beside another build that takes the same lock (two builds at once
# starve a small machine); empty: no lock, for a caller whose own build holds it already.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
image=${PIPELINE_IMAGE:-pipeline:latest}
data=$root/.data/image
src=$data/src
app=$data/app
lock=${PIPELINE_DOTNET_LOCK-/tmp/pipeline-dotnet.lock}

engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  # podman first: where both are installed, a docker CLI may have no engine of its own (or
  # reach podman's through DOCKER_HOST), while podman builds into the storage its service uses.
  if command -v podman >/dev/null; then engine=podman
  elif command -v docker >/dev/null; then engine=docker
  else echo "image.sh: neither docker nor podman is installed" >&2; exit 1
  fi
fi

# 1. The sources as the tree has them now. Files gone from the tree go from the copy too;
# bin/ and obj/ stay for the incremental build. tar keeps each file's time, so what did not
# change is not compiled again.
mkdir -p "$src"
find "$src" -type f ! -path "$src/*/bin/*" ! -path "$src/*/obj/*" -delete
git ls-files -co --exclude-standard -z \
  | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$src"

# 2. Publish to a fresh folder: files from an earlier publish that this one no longer makes
# must not reach the image.
publish=(dotnet publish "$src/host/Pipeline.Host.csproj" -c Release -r linux-x64 --self-contained
  -o "$app.new" -nologo -v q -clp:ErrorsOnly)
rm -rf "$app.new"
if [ -n "$lock" ]; then flock "$lock" "${publish[@]}"; else "${publish[@]}"; fi
rm -rf "$app"
mv "$app.new" "$app"

# 3. The image.
format=()
[ "$engine" = podman ] && format=(--format docker)
"$engine" build "${format[@]}" -t "$image" -f Dockerfile .
echo "built $image with $engine" >&2
