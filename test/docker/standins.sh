# Sourced by run.sh. No image registry is reachable here, so the three base
# images the project names are built locally under those very tags, when absent:
# a Debian root file system from debootstrap, imported once as the shared base,
# then one small Dockerfile per stand-in (standins/*). The daemon keeps them, so
# later steps and later runs reuse them; nothing is ever pulled.

STANDIN_BASE=sahut-sync-standin/debian:bookworm

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_standin_base() {
  have_image "$STANDIN_BASE" && return
  local rootfs mirror
  rootfs=$(mktemp -d "$WORK/rootfs.XXXX")
  chmod 755 "$rootfs" # it becomes /: mktemp's 0700 would lock every other user out
  mirror=$(debian_mirror)
  step "debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log"; return 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' - "$STANDIN_BASE" >/dev/null
  rm -rf "$rootfs"
}

# docker build of one stand-in; --network host because the daemon runs without
# iptables, so only the host's network reaches the Debian mirror and npm.
build_standin() {
  local tag=$1 context=$2
  have_image "$tag" && return
  step "building stand-in $tag"
  DOCKER_BUILDKIT=0 docker build --quiet --network host -t "$tag" "$context" >"$WORK/standin.log" 2>&1 ||
    { tail -30 "$WORK/standin.log"; return 1; }
}

# node:24-slim gets the Node 24 running this test, npm and the CA bundle npm needs here.
node_standin_context() {
  local context=$WORK/node-standin node_bin npm_dir
  node_bin=$(command -v node)
  [ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" = 24 ] ||
    { echo "node on PATH is not Node 24: run through bash .ci/node24" >&2; return 1; }
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$context"
  cp "$HERE/standins/node/Dockerfile" "$context/"
  cp "$node_bin" "$context/node"
  cp -r "$npm_dir" "$context/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$context/"
  echo "$context"
}

build_standins() {
  if have_image node:24-slim && have_image redis:7-alpine && have_image postgres:17-alpine; then
    step "stand-in base images present"
    return
  fi
  build_standin_base
  if ! have_image node:24-slim; then
    local context
    context=$(node_standin_context)
    build_standin node:24-slim "$context"
  fi
  build_standin redis:7-alpine "$HERE/standins/redis"
  build_standin postgres:17-alpine "$HERE/standins/postgres"
}
