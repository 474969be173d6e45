#!/bin/sh
# The PostgreSQL image runs this once, when it initialises an empty data folder. It passes the
# role passwords from the environment to spotter-roles.psql, which the image itself would run
# without them (hence not a .sql file).
set -eu
: "${SPOTTER_DB_OWNER_PASSWORD:?set SPOTTER_DB_OWNER_PASSWORD}"
: "${SPOTTER_DB_APP_PASSWORD:?set SPOTTER_DB_APP_PASSWORD}"
psql --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v ON_ERROR_STOP=1 \
    -v database="$POSTGRES_DB" \
    -v owner_password="$SPOTTER_DB_OWNER_PASSWORD" \
    -v app_password="$SPOTTER_DB_APP_PASSWORD" \
    -f /docker-entrypoint-initdb.d/spotter-roles.psql
