#!/usr/bin/env bash
# Install everything and run the whole test suite, integration tests included:
# Debian packages (PostgreSQL, Redis) when missing, the Python package with its dev extras,
# then a throwaway PostgreSQL and Redis on loopback for the duration of the run.
# Then the web UI: lint, typecheck, Vitest, build, the API-client staleness check, and the
# Playwright journey in Debian's Chromium (apt) against a real `trellis serve`.
# Extra arguments go to pytest (e.g. scripts/test.sh -k jobs -x); TRELLIS_SKIP_WEB=1 skips the web steps.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------- system packages
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
need_apt=()
[ -n "$(pg_bin_dir)" ] && [ -x "$(pg_bin_dir)/initdb" ] || need_apt+=(postgresql)
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ "${TRELLIS_SKIP_WEB:-0}" = 1 ] || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${need_apt[*]}: run as root, or install them: sudo apt-get install -y ${need_apt[*]}"
    exit 1
  fi
  log "installing ${need_apt[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
  # The packages start their own default services; this run uses private instances instead.
  (service postgresql stop; service redis-server stop) >/dev/null 2>&1 || true
fi
PG_BIN=$(pg_bin_dir)

# ---------------------------------------------------------------- python
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PYTHON" -m venv .venv
fi
log "installing trellis[dev] into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import trellis, celery, psycopg, redis" # fail loudly if the install did not take

# ---------------------------------------------------------------- throwaway PostgreSQL and Redis
RUN_DIR=$(mktemp -d /tmp/trellis-test.XXXXXX)
chmod 755 "$RUN_DIR"
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)

as_pg() {
  # PostgreSQL refuses to run as root; use its system account when we are root.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  set +e
  [ -f "$RUN_DIR/redis.pid" ] && kill "$(cat "$RUN_DIR/redis.pid")" 2>/dev/null
  [ -d "$RUN_DIR/pg" ] && as_pg "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

log "starting PostgreSQL on 127.0.0.1:$PG_PORT and Redis on 127.0.0.1:$REDIS_PORT"
mkdir -p "$RUN_DIR/pg" "$RUN_DIR/pgsock" "$RUN_DIR/pglog"
[ "$(id -u)" -eq 0 ] && chown postgres "$RUN_DIR/pg" "$RUN_DIR/pgsock" "$RUN_DIR/pglog"
as_pg "$PG_BIN/initdb" -D "$RUN_DIR/pg" -U postgres --auth=trust -E UTF8 >"$RUN_DIR/initdb.log" 2>&1 \
  || { cat "$RUN_DIR/initdb.log"; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg" -l "$RUN_DIR/pglog/pg.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$RUN_DIR/pgsock -c fsync=off -c max_connections=200" \
  start >/dev/null || { cat "$RUN_DIR/pglog/pg.log"; exit 1; }
as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q -c "CREATE ROLE trellis LOGIN SUPERUSER PASSWORD 'trellis';" >/dev/null

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
  --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" --dir "$RUN_DIR"
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

export TRELLIS_TEST_DATABASE_URL="postgresql://trellis:trellis@127.0.0.1:$PG_PORT/postgres"
export TRELLIS_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export TRELLIS_REQUIRE_INTEGRATION=1

# ---------------------------------------------------------------- web UI checks
web_status=0
run_web() {
  [ "${TRELLIS_SKIP_WEB:-0}" = 1 ] && { log "web UI: skipped (TRELLIS_SKIP_WEB=1)"; return 0; }
  command -v npm >/dev/null || { log "web UI: Node.js 20.19+ and npm are required (apt-get install nodejs npm)"; return 1; }
  local start=$SECONDS
  log "web UI: npm ci"
  (cd web && npm ci --no-audit --no-fund --loglevel=error) || return 1
  log "web UI: lint, typecheck, unit tests, build"
  (cd web && npm run --silent lint && npm run --silent typecheck && npm run --silent test && npm run --silent build) || return 1
  log "web UI: typed API client matches the server's OpenAPI schema"
  scripts/gen-api.sh --check || return 1
  log "web UI: checks took $((SECONDS - start)) s"
}
run_web || web_status=1

# ---------------------------------------------------------------- tests
log "running the test suite"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e

e2e_status=0
if [ "${TRELLIS_SKIP_WEB:-0}" != 1 ] && [ $web_status -eq 0 ]; then
  log "web UI: end-to-end journey in Chromium (screenshots in tests/e2e/screenshots/)"
  start=$SECONDS
  (cd web && npm run --silent e2e) || e2e_status=1
  log "web UI: end-to-end took $((SECONDS - start)) s"
fi
[ $web_status -eq 0 ] || log "FAILED: web UI checks (lint, typecheck, unit tests, build or API-client staleness)"
[ $e2e_status -eq 0 ] || log "FAILED: web UI end-to-end journey"
[ $status -ne 0 ] && exit $status
[ $web_status -eq 0 ] && [ $e2e_status -eq 0 ] || exit 1
exit 0
