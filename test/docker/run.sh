#!/usr/bin/env bash
# npm run test:docker: the Docker service, run for real (see main.ts for what is
# checked). Needs root, Debian's docker.io, docker-compose and debootstrap
# (.ci/run installs them). In CI (CI=true) anything missing is a failure;
# elsewhere the test is skipped with a note, like the other peer tests.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export DOCKER_TEST_STARTED_MS=${DOCKER_TEST_STARTED_MS:-$(date +%s%3N)}

# main.ts and the node:24-slim stand-in need Node 24 (.ci/node24 brings it).
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 24 ]; then
  exec bash "$ROOT/.ci/node24" bash "${BASH_SOURCE[0]}" "$@"
fi

elapsed() {
  local s=$((($(date +%s%3N) - DOCKER_TEST_STARTED_MS) / 1000))
  printf '%d min %02d s' $((s / 60)) $((s % 60))
}
step() { echo "[$(elapsed)] $*"; }

unavailable() {
  if [ -n "${CI:-}" ]; then
    echo "docker test: $* (CI=true: this is a failure)" >&2
    exit 1
  fi
  echo "skipping the docker test: $*" >&2
  exit 0
}

for tool in docker dockerd docker-compose debootstrap; do
  command -v "$tool" >/dev/null || unavailable "$tool is missing: apt-get install docker.io docker-compose debootstrap"
done

# One docker test at a time on a machine: they share the image tags and the daemon.
exec 9>/tmp/sahut-sync-docker-test.lock
flock -n 9 || { step "waiting for another docker test run to finish"; flock 9; }

WORK=$(mktemp -d /tmp/sahut-sync-docker-run.XXXX)
. "$HERE/daemon.sh"
. "$HERE/standins.sh"

finish() {
  local code=$?
  stop_docker_daemon
  rm -rf "$WORK"
  step "docker test took $(elapsed) (exit $code)"
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM

start_docker_daemon || unavailable "the Docker daemon could not be started"
build_standins
cd "$ROOT"
node test/docker/main.ts
