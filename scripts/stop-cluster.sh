#!/usr/bin/env bash
# Stops the kvserver processes that scripts/start-cluster.sh started in DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="./data"
GRACE_S=10

usage() {
  cat <<EOF
usage: scripts/stop-cluster.sh [--data DIR]

Stops exactly the processes named by DIR/node*.pid (default DIR: ./data): SIGTERM, then SIGKILL
for any still running after ${GRACE_S} s. Removes the pid files; keeps data and logs.
EOF
}

# shellcheck source-path=SCRIPTDIR source=lib/cluster-common.sh
source "$ROOT/scripts/lib/cluster-common.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data | --data=*)
      take_option DATA "$@"
      shift "$TAKEN"
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
done

[[ -d "$DATA" ]] || die "no directory $DATA"
DATA="$(cd "$DATA" && pwd)"

shopt -s nullglob
PIDFILES=("$DATA"/node*.pid)
if [[ ${#PIDFILES[@]} -eq 0 ]]; then
  echo "no pid files in $DATA: nothing to stop"
  exit 0
fi

declare -A STOPPING=()
for pidfile in "${PIDFILES[@]}"; do
  node="$(basename "$pidfile" .pid)"
  pid="$(cat "$pidfile")"
  if pid_is_node "$pid" "$DATA" "$node"; then
    kill -TERM "$pid" 2>/dev/null || true
    STOPPING[$pid]="$node"
    echo "$node: SIGTERM sent to pid $pid"
  else
    echo "$node: pid ${pid:-?} is not running (stale pid file removed)"
    rm -f "$pidfile"
  fi
done

for ((waited = 0; waited < GRACE_S * 10; waited++)); do
  alive=0
  for pid in "${!STOPPING[@]}"; do
    kill -0 "$pid" 2>/dev/null && alive=1
  done
  ((alive == 0)) && break
  sleep 0.1
done

for pid in "${!STOPPING[@]}"; do
  node="${STOPPING[$pid]}"
  if kill -0 "$pid" 2>/dev/null; then
    echo "$node: still running after ${GRACE_S} s, SIGKILL to pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  else
    echo "$node: stopped"
  fi
  rm -f "$DATA/$node.pid"
done
