# shellcheck shell=bash
# Sourced by .ci/run: installs PostgreSQL (with pgvector) and Redis from Debian's
# packages, starts them on free loopback ports in temporary directories, exports
#
#   MASTRA_TEST_POSTGRES_URL   postgresql://mastra@127.0.0.1:PORT/mastra_test
#   MASTRA_TEST_POSTGRES_CTL   a script taking stop|start|restart (the restart tests)
#   MASTRA_TEST_REDIS_URL      redis://127.0.0.1:PORT/0
#
# and stops both when the sourcing shell exits (an EXIT trap calling
# mastra_services_stop; a caller with its own EXIT trap should call that too).
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
# the Debian package creates. Debian 12 has no pgvector package; there it is built from
# Debian's own source package (the newer release's, which has iterative index scans)
# against the installed server's headers.

mastra_services_log() { printf '[services] %s\n' "$*"; }

mastra_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mastra_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mastra_install_services() {
  local want=()
  command -v redis-server >/dev/null || want+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
  if ((${#want[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
  fi
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  PG_MAJOR="$(basename "$(dirname "$PG_BIN")")"
  if [ -f "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" ]; then
    return
  fi
  if apt-cache policy "postgresql-$PG_MAJOR-pgvector" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PG_MAJOR-pgvector" >/dev/null
  else
    mastra_build_pgvector
  fi
}

# pgvector from Debian's source package (trixie's), with apt state kept in a temporary
# directory so the machine's own sources and lists are left as they are.
mastra_build_pgvector() {
  mastra_services_log "no postgresql-$PG_MAJOR-pgvector package: building Debian's pgvector source"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "postgresql-server-dev-$PG_MAJOR" dpkg-dev make gcc >/dev/null
  local work opts
  work="$(mktemp -d)"
  chmod 755 "$work" # apt fetches as _apt
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb-src http://deb.debian.org/debian trixie main" >"$work/sources.list"
  opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
  apt-get "${opts[@]}" update -qq
  (cd "$work" && apt-get "${opts[@]}" source -qq pgvector >/dev/null 2>&1)
  # Debian's patch drops -march=native: the build is portable.
  make -C "$work"/pgvector-*/ -j2 PG_CONFIG="$PG_BIN/pg_config" >/dev/null
  make -C "$work"/pgvector-*/ install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
  rm -rf "$work"
}

mastra_start_postgres() {
  MASTRA_PG_DIR="$(mktemp -d /tmp/mastra-pg.XXXXXX)"
  chmod 755 "$MASTRA_PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$MASTRA_PG_DIR"
  local port
  port="$(mastra_free_port)"
  mastra_as_pg "$PG_BIN/initdb" -D "$MASTRA_PG_DIR/data" -U mastra -A trust \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >"$MASTRA_PG_DIR/ctl" <<EOF
#!/usr/bin/env bash
# stop | start | restart the test PostgreSQL server (used by the restart tests).
set -euo pipefail
run() { if [ "\$(id -u)" = 0 ]; then runuser -u postgres -- "\$@"; else "\$@"; fi; }
case "\$1" in
  stop) run "$PG_BIN/pg_ctl" -D "$MASTRA_PG_DIR/data" -m fast -w stop ;;
  start|restart) run "$PG_BIN/pg_ctl" -D "$MASTRA_PG_DIR/data" -l "$MASTRA_PG_DIR/log" -w \
      -o "-p $port -k $MASTRA_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
      "\$1" ;;
  *) echo "usage: \$0 stop|start|restart" >&2; exit 2 ;;
esac
EOF
  chmod 755 "$MASTRA_PG_DIR/ctl"
  "$MASTRA_PG_DIR/ctl" start >/dev/null
  mastra_as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U mastra -d postgres \
    -c "CREATE DATABASE mastra_test" >/dev/null
  mastra_as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U mastra -d mastra_test \
    -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  export MASTRA_TEST_POSTGRES_URL="postgresql://mastra@127.0.0.1:$port/mastra_test"
  export MASTRA_TEST_POSTGRES_CTL="$MASTRA_PG_DIR/ctl"
}

mastra_start_redis() {
  MASTRA_REDIS_DIR="$(mktemp -d /tmp/mastra-redis.XXXXXX)"
  local port
  port="$(mastra_free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$MASTRA_REDIS_DIR" --save '' \
    --appendonly no --daemonize yes --pidfile "$MASTRA_REDIS_DIR/redis.pid" \
    --logfile "$MASTRA_REDIS_DIR/redis.log"
  local i
  for i in $(seq 50); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  export MASTRA_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

mastra_services_stop() {
  if [ -n "${MASTRA_PG_DIR:-}" ] && [ -d "$MASTRA_PG_DIR" ]; then
    "$MASTRA_PG_DIR/ctl" stop >/dev/null 2>&1 || true
    rm -rf "$MASTRA_PG_DIR"
  fi
  if [ -n "${MASTRA_REDIS_DIR:-}" ] && [ -d "$MASTRA_REDIS_DIR" ]; then
    if [ -f "$MASTRA_REDIS_DIR/redis.pid" ]; then
      local pid i
      pid="$(cat "$MASTRA_REDIS_DIR/redis.pid")"
      kill "$pid" 2>/dev/null || true
      for i in $(seq 50); do # up to 5 s for its shutdown
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -rf "$MASTRA_REDIS_DIR"
  fi
  MASTRA_PG_DIR="" MASTRA_REDIS_DIR=""
}

trap mastra_services_stop EXIT
mastra_install_services
mastra_start_postgres
mastra_start_redis
mastra_services_log "PostgreSQL $PG_MAJOR (pgvector) at $MASTRA_TEST_POSTGRES_URL"
mastra_services_log "Redis at $MASTRA_TEST_REDIS_URL"
