#!/bin/sh
# As the official image: redis-server runs as user redis, owning /data.
# The official build has protected mode off; Debian's keeps it on, and without a
# password it then closes every connection from another container at once.
set -e
if [ "$1" = redis-server ]; then
  shift
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis .
    exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@" --protected-mode no
  fi
  exec redis-server "$@" --protected-mode no
fi
exec "$@"
