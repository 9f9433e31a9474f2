#!/bin/sh
# The official redis image's entrypoint contract: flags or a *.conf first argument run redis-server; as root,
# redis-server runs as `redis` after taking ownership of the working directory; umask 0077 unless set.
# Debian's /usr/bin/redis-server is a link to one binary that picks its mode from argv[0], so it is always
# started by the name `redis-server` (exec keeps the name given here).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec gosu redis "$0" "$@"
fi
if [ "$(umask)" = '0022' ]; then
  umask 0077
fi
exec "$@"
