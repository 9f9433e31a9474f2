#!/usr/bin/env bash
# The official postgres image's entrypoint contract, for what redwire's compose file relies on:
#   - `postgres [flags]` (or flags alone) starts the server; anything else is executed as given;
#   - as root: PGDATA and the socket folder are made the `postgres` user's, then the script re-runs as it;
#   - on an empty PGDATA only: initdb with POSTGRES_USER/POSTGRES_PASSWORD (+ POSTGRES_INITDB_ARGS), host
#     connections authenticated with POSTGRES_HOST_AUTH_METHOD (default: the password encryption, scram),
#     a server on the Unix socket only (no TCP, so a TCP health probe fails until init is over) that
#     creates POSTGRES_DB and runs /docker-entrypoint-initdb.d/* in order (*.sh executed when executable,
#     sourced otherwise; *.sql and *.sql.gz through psql), then stops;
#   - finally the server runs in the foreground, listening on every address.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

wants_help() {
  local arg
  for arg; do
    case "$arg" in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

if [ "$1" != 'postgres' ] || wants_help "$@"; then
  exec "$@"
fi

export POSTGRES_USER="${POSTGRES_USER:-postgres}"
export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
POSTGRES_INITDB_ARGS="${POSTGRES_INITDB_ARGS:-}"
POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-}"

if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  chmod 03775 /var/run/postgresql
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  exec gosu postgres "$BASH_SOURCE" "$@"
fi

# psql as the superuser over the socket, stopping at the first error.
run_sql() {
  PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

if [ -s "$PGDATA/PG_VERSION" ]; then
  printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
  exec "$@"
fi

if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
  echo 'Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD).' >&2
  exit 1
fi
ls /docker-entrypoint-initdb.d/ >/dev/null

eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"
shift
auth="${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption "$@")}"
printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@" -c listen_addresses='' -p "${PGPORT:-5432}")" -w start

if [ "$POSTGRES_DB" != 'postgres' ] &&
  [ -z "$(run_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
  run_sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
fi

for f in /docker-entrypoint-initdb.d/*; do
  case "$f" in
    *.sh)
      if [ -x "$f" ]; then
        echo "$0: running $f"
        "$f"
      else
        echo "$0: sourcing $f"
        # shellcheck disable=SC1090
        . "$f"
      fi
      ;;
    *.sql) echo "$0: running $f"; run_sql --dbname "$POSTGRES_DB" -f "$f" ;;
    *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | run_sql --dbname "$POSTGRES_DB" ;;
    *) echo "$0: ignoring $f" ;;
  esac
done

PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
unset PGPASSWORD
printf '\nPostgreSQL init process complete; ready for start up.\n\n'

exec postgres "$@"
