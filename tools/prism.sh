#!/usr/bin/env bash
# Prism serving DigitalOcean's official OpenAPI spec (tests/fixtures/digitalocean-openapi) as a validating mock
# on a free loopback port: what rift's DigitalOcean tests talk to instead of the real API.
#
#   tools/prism.sh start          # install if needed, start it, wait until it answers, write the state file, print its URL
#   tools/prism.sh stop           # stop the one the state file names
#   tools/prism.sh status         # print its URL, exit 1 when not running
#   tools/prism.sh run CMD...     # start, run CMD with RIFT_PRISM_URL set, stop; exits with CMD's status
#
# The state file ($RIFT_PRISM_STATE, default $TMPDIR/rift-prism-$UID.env) is a shell fragment to `source`:
#   RIFT_PRISM_URL  the mock's base URL (what tests/it/pricing*.rs and the e2e tests read)
#   PRISM_PID       the server's process (and process group) id
# Prism is the exact version pinned in tools/package.json and tools/package-lock.json, installed from the npm
# registry into tools/node_modules with `npm ci` (again whenever the lockfile changes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/tools"
SPEC="$ROOT/tests/fixtures/digitalocean-openapi/DigitalOcean-public.v2.bundled.yaml"
PRISM="$TOOLS/node_modules/.bin/prism"
STAMP="$TOOLS/node_modules/.rift-lock.sha256"
STATE="${RIFT_PRISM_STATE:-${TMPDIR:-/tmp}/rift-prism-$(id -u).env}"
LOG="${STATE%.env}.log"
# Prism parses the 3 MB spec before it listens: ~9 s here, more on a loaded machine.
READY_TIMEOUT_S=120

die() {
  echo "prism.sh: $*" >&2
  exit 1
}

install() {
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 18 or later"
  local want
  want=$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1)
  if [[ -x "$PRISM" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    return 0
  fi
  echo "prism.sh: installing the pinned Prism into $TOOLS/node_modules" >&2
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed"
  echo "$want" >"$STAMP"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

running_url() {
  [[ -f "$STATE" ]] || return 1
  local RIFT_PRISM_URL="" PRISM_PID=""
  # shellcheck disable=SC1090
  source "$STATE"
  [[ -n "$PRISM_PID" ]] && kill -0 "$PRISM_PID" 2>/dev/null || return 1
  echo "$RIFT_PRISM_URL"
}

# Any HTTP answer from the mock (401 without a token) means the spec is loaded and routes are served.
answers() {
  node -e '
    const req = require("http").get(process.argv[1] + "/v2/sizes", {timeout: 2000}, (res) => process.exit(res.statusCode > 0 ? 0 : 1));
    req.on("error", () => process.exit(1));
    req.on("timeout", () => { req.destroy(); process.exit(1); });
  ' "$1"
}

start() {
  if url=$(running_url); then
    echo "$url"
    return 0
  fi
  [[ -f "$SPEC" ]] || die "spec not found: $SPEC"
  install
  local port
  port=$(free_port)
  # Its own session, so `stop` can end Prism and anything it spawned as one process group.
  setsid "$PRISM" mock -h 127.0.0.1 -p "$port" "$SPEC" </dev/null >"$LOG" 2>&1 &
  local pid=$! url="http://127.0.0.1:$port" i
  for ((i = 0; i < READY_TIMEOUT_S * 4; i++)); do
    if answers "$url" 2>/dev/null; then
      printf 'RIFT_PRISM_URL=%s\nPRISM_PID=%s\n' "$url" "$pid" >"$STATE"
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2 || true
      die "Prism exited before answering (log: $LOG)"
    fi
    sleep 0.25
  done
  kill -TERM -- "-$pid" 2>/dev/null || true
  die "Prism did not answer on $url within $READY_TIMEOUT_S s (log: $LOG)"
}

stop() {
  [[ -f "$STATE" ]] || return 0
  local RIFT_PRISM_URL="" PRISM_PID="" n
  # shellcheck disable=SC1090
  source "$STATE"
  if [[ -n "$PRISM_PID" ]] && kill -0 "$PRISM_PID" 2>/dev/null; then
    kill -TERM -- "-$PRISM_PID" 2>/dev/null || kill -TERM "$PRISM_PID" 2>/dev/null || true
    for ((n = 0; n < 50; n++)); do
      kill -0 "$PRISM_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$PRISM_PID" 2>/dev/null || true
  fi
  rm -f "$STATE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) running_url || exit 1 ;;
run)
  shift
  (($#)) || die "usage: tools/prism.sh run CMD [ARGS...]"
  url=$(start)
  trap stop EXIT
  status=0
  RIFT_PRISM_URL="$url" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" "$@" || status=$?
  exit "$status"
  ;;
*) die "usage: tools/prism.sh start|stop|status|run CMD..." ;;
esac
