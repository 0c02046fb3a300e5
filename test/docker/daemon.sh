# Sourced by run.sh. Uses the Docker daemon that answers, or starts a private
# one with the flags that work on these machines (vfs: no overlay2 here; no
# iptables) and stops it, and only it, at the end (stop_docker_daemon).

DOCKERD_PID=

start_docker_daemon() {
  if docker info >/dev/null 2>&1; then
    step "using the Docker daemon already running"
    return 0
  fi
  [ "$(id -u)" = 0 ] || { echo "no Docker daemon answers, and starting one needs root" >&2; return 1; }
  step "starting a private dockerd (storage driver vfs, no iptables)"
  dockerd --storage-driver vfs --iptables=false --ip-masq=false >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local waited=0
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null || [ "$waited" -ge 60 ]; then
      tail -20 "$WORK/dockerd.log" >&2
      stop_docker_daemon
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

stop_docker_daemon() {
  [ -n "$DOCKERD_PID" ] || return 0
  step "stopping the dockerd this test started (pid $DOCKERD_PID)"
  kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  wait "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=
}
