#!/bin/sh
# The official node image's entrypoint contract: a first argument that is a flag, not a command on PATH, or
# a non-executable file is run by node; anything else is executed as given.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
