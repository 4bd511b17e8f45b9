#!/bin/sh
# redis-server from Debian's package, as the official image runs it: data in /data (owned by
# user redis), protected mode off (clients come from other containers), as user redis.
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  set -- redis-server --dir /data --protected-mode no "$@"
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
