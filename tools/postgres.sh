#!/usr/bin/env bash
# A throwaway PostgreSQL cluster (what rift's team-mode tests use) in a temporary directory, on a free loopback
# port.
#
#   tools/postgres.sh start          # install PostgreSQL when missing, initdb, start, print its URL
#   tools/postgres.sh stop           # stop the one the state file names and remove its data
#   tools/postgres.sh status         # print its URL, exit 1 when not running
#   tools/postgres.sh run CMD...     # start, run CMD with RIFT_POSTGRES_URL set, stop; exits with CMD's status
#
# The state file ($RIFT_POSTGRES_STATE, default $TMPDIR/rift-postgres-$UID.env) is a shell fragment to `source`:
#   RIFT_POSTGRES_URL  a superuser URL of the cluster's `postgres` database (tests create a database each)
#   POSTGRES_DATA      the cluster's directory
# PostgreSQL comes from Debian's `postgresql` package. initdb and pg_ctl refuse to run as root, so as root the
# cluster belongs to the `postgres` user the package creates.
set -euo pipefail

STATE="${RIFT_POSTGRES_STATE:-${TMPDIR:-/tmp}/rift-postgres-$(id -u).env}"

die() {
  echo "postgres.sh: $*" >&2
  exit 1
}

# The server's programs live in /usr/lib/postgresql/<version>/bin on Debian.
bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/pg_ctl" ]] && {
      echo "$dir"
      return 0
    }
  done
  command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)" && return 0
  return 1
}

install() {
  bin_dir >/dev/null && return 0
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and there is no apt-get: install postgresql"
  local sudo=""
  ((EUID == 0)) || sudo=sudo
  echo "postgres.sh: installing PostgreSQL (apt-get install postgresql)" >&2
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2 ||
    die "could not install postgresql"
  bin_dir >/dev/null || die "postgresql installed but pg_ctl not found"
}

# Runs a server program as the cluster's owner.
as_owner() {
  if ((EUID == 0)); then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

running_url() {
  [[ -f "$STATE" ]] || return 1
  local RIFT_POSTGRES_URL="" POSTGRES_DATA=""
  # shellcheck disable=SC1090
  source "$STATE"
  [[ -n "$POSTGRES_DATA" ]] && as_owner "$(bin_dir)/pg_ctl" -D "$POSTGRES_DATA" status >/dev/null 2>&1 || return 1
  echo "$RIFT_POSTGRES_URL"
}

start() {
  if url=$(running_url); then
    echo "$url"
    return 0
  fi
  install
  local bin data port user
  bin=$(bin_dir)
  data=$(mktemp -d "${TMPDIR:-/tmp}/rift-postgres.XXXXXX")
  user=$(id -un)
  if ((EUID == 0)); then
    chown postgres: "$data"
    user=postgres
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Trust on loopback only: a throwaway cluster for tests, reachable from this machine alone.
  as_owner "$bin/initdb" -D "$data/db" -U "$user" --auth=trust -E UTF8 --no-sync >"$data/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$data/initdb.log")"
  # The superuser logs in without a password (loopback and the socket only); one role must give a password, for
  # the tests of a refused login.
  printf '%s\n' "local all all trust" "host all rift_auth_test 127.0.0.1/32 scram-sha-256" \
    "host all all 127.0.0.1/32 trust" >"$data/pg_hba.conf"
  chmod 644 "$data/pg_hba.conf"
  as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/db/server.log" -w -t 30 \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c hba_file=$data/pg_hba.conf" start >/dev/null ||
    die "the server did not start: $(tail -n 5 "$data/db/server.log" 2>/dev/null)"
  url="postgres://$user@127.0.0.1:$port/postgres"
  printf 'RIFT_POSTGRES_URL=%s\nPOSTGRES_DATA=%s\n' "$url" "$data/db" >"$STATE"
  echo "$url"
}

stop() {
  [[ -f "$STATE" ]] || return 0
  local RIFT_POSTGRES_URL="" POSTGRES_DATA=""
  # shellcheck disable=SC1090
  source "$STATE"
  if [[ -n "$POSTGRES_DATA" && -d "$POSTGRES_DATA" ]]; then
    as_owner "$(bin_dir)/pg_ctl" -D "$POSTGRES_DATA" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$(dirname "$POSTGRES_DATA")"
  fi
  rm -f "$STATE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) running_url || exit 1 ;;
run)
  shift
  (($#)) || die "usage: tools/postgres.sh run CMD [ARGS...]"
  if ! url=$(running_url); then
    url=$(start)
    trap stop EXIT
  fi
  status=0
  RIFT_POSTGRES_URL="$url" "$@" || status=$?
  exit "$status"
  ;;
*) die "usage: tools/postgres.sh start|stop|status|run CMD..." ;;
esac
