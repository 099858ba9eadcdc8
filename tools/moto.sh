#!/usr/bin/env bash
# moto (the AWS emulator rift's AWS tests talk to) on a free loopback port.
#
#   tools/moto.sh start          # start it, wait until it answers, write the state file, print its URL
#   tools/moto.sh stop           # stop the one the state file names
#   tools/moto.sh status         # print its URL, exit 1 when not running
#   tools/moto.sh run CMD...     # start, run CMD with the variables below set, stop; exits with CMD's status
#
# The state file ($RIFT_MOTO_STATE, default $TMPDIR/rift-moto-$UID.env) is a shell fragment to `source`:
#   RIFT_MOTO_URL  the endpoint (what tests/it/aws*.rs and tests/e2e/test_aws.py read)
#   MOTO_PID       the server's process (and process group) id
# `run` also exports the standard AWS variables pointing the SDK at moto with test credentials, so a command
# under it never reaches real AWS. moto is the pinned `moto[server]` from tools/requirements-test.txt, installed
# into .venv-test by tools/test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RIFT_VENV:-$ROOT/.venv-test}"
STATE="${RIFT_MOTO_STATE:-${TMPDIR:-/tmp}/rift-moto-$(id -u).env}"
LOG="${STATE%.env}.log"

die() {
  echo "moto.sh: $*" >&2
  exit 1
}

running_url() {
  [[ -f "$STATE" ]] || return 1
  local RIFT_MOTO_URL="" MOTO_PID=""
  # shellcheck disable=SC1090
  source "$STATE"
  [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null || return 1
  echo "$RIFT_MOTO_URL"
}

start() {
  if url=$(running_url); then
    echo "$url"
    return 0
  fi
  [[ -x "$VENV/bin/moto_server" ]] ||
    die "$VENV/bin/moto_server not found: run tools/test once, or pip install -r tools/requirements-test.txt into $VENV"
  local port
  port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Its own session, so `stop` can end moto and anything it spawned as one process group.
  setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$LOG" 2>&1 &
  local pid=$! url="http://127.0.0.1:$port" i
  for ((i = 0; i < 300; i++)); do
    # The reset endpoint answering means moto's whole backend is loaded, not just the socket bound.
    if "$VENV/bin/python" - "$url" <<'EOF' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/moto-api/reset", method="POST"), timeout=2)
EOF
      printf 'RIFT_MOTO_URL=%s\nMOTO_PID=%s\n' "$url" "$pid" >"$STATE"
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2 || true
      die "moto exited before answering (log: $LOG)"
    fi
    sleep 0.1
  done
  kill -TERM -- "-$pid" 2>/dev/null || true
  die "moto did not answer on $url within 30 s (log: $LOG)"
}

stop() {
  [[ -f "$STATE" ]] || return 0
  local RIFT_MOTO_URL="" MOTO_PID="" n
  # shellcheck disable=SC1090
  source "$STATE"
  if [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null; then
    kill -TERM -- "-$MOTO_PID" 2>/dev/null || kill -TERM "$MOTO_PID" 2>/dev/null || true
    for ((n = 0; n < 50; n++)); do
      kill -0 "$MOTO_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$MOTO_PID" 2>/dev/null || true
  fi
  rm -f "$STATE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) running_url || exit 1 ;;
run)
  shift
  (($#)) || die "usage: tools/moto.sh run CMD [ARGS...]"
  # A moto that is already running (tools/moto.sh start) is used and left running; one started here is stopped.
  if ! url=$(running_url); then
    url=$(start)
    trap stop EXIT
  fi
  status=0
  RIFT_MOTO_URL="$url" AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION="${AWS_REGION:-us-east-1}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" "$@" || status=$?
  exit "$status"
  ;;
*) die "usage: tools/moto.sh start|stop|status|run CMD..." ;;
esac
