#!/bin/sh
# Runs once, on the first start of an empty data volume (the postgres image executes
# /docker-entrypoint-initdb.d/* as the superuser). Creates what the services connect as: the role
# `redwire`, which owns the database `redwire` and is not a superuser; each service's migrations then
# create its own schema there (users, auth). The password is read from the environment inside psql
# (\getenv), so it never appears on a command line.
set -eu
: "${REDWIRE_DB_PASSWORD:?REDWIRE_DB_PASSWORD must be set}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB:-postgres}" <<'SQL'
\getenv redwire_password REDWIRE_DB_PASSWORD
CREATE ROLE redwire LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'redwire_password';
CREATE DATABASE redwire OWNER redwire;
REVOKE ALL ON DATABASE redwire FROM PUBLIC;
SQL
