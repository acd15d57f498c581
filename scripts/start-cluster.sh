#!/usr/bin/env bash
# Starts a local Ballot cluster of N kvserver processes on 127.0.0.1, in the background.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES=""
DATA="./data"
RESTORE_FROM=""
READY_TIMEOUT_S=60
MAX_NODES=6 # node i listens on i*10000+2379: 6 is the last that fits under 65536

usage() {
  cat <<EOF
usage: scripts/start-cluster.sh [--nodes N] [--data DIR] [--restore-from FILE]

Starts N kvserver processes (default 3, at most $MAX_NODES) on 127.0.0.1 in the background and
waits (at most ${READY_TIMEOUT_S} s) until every node reports a leader.

  node 1: clients 127.0.0.1:2379   peers 127.0.0.1:2380
  node i: clients 127.0.0.1:i2379  peers 127.0.0.1:i2380   (22379/22380, 32379/32380, ...)

Files in DIR (default ./data):
  DIR/nodeI/      the node's data        DIR/nodeI.log   its log (appended)
  DIR/nodeI.pid   its process id         DIR/endpoints   client endpoints, comma-separated
  DIR/cluster.conf   the node count, so that a later run starts the same cluster

--restore-from FILE starts a new cluster whose every node is seeded from the backup FILE
(kvctl or etcdctl snapshot save); DIR must not hold a cluster yet.

Run again on the same DIR to start only the nodes that are not running, with their data and
the same flags. Stop the cluster with scripts/stop-cluster.sh --data DIR.
Builds server/target/kvserver.jar and cli/target/kvctl.jar first if they are missing.
EOF
}

# shellcheck source-path=SCRIPTDIR source=lib/cluster-common.sh
source "$ROOT/scripts/lib/cluster-common.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes | --nodes=*)
      take_option NODES "$@"
      shift "$TAKEN"
      ;;
    --data | --data=*)
      take_option DATA "$@"
      shift "$TAKEN"
      ;;
    --restore-from | --restore-from=*)
      take_option RESTORE_FROM "$@"
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

check_nodes() {
  [[ "$1" =~ ^[0-9]+$ ]] || die "--nodes must be a number, not '$1'"
  if (($1 < 1 || $1 > MAX_NODES)); then
    die "--nodes must be between 1 and $MAX_NODES (node i uses ports i*10000+2379 and +2380)"
  fi
}
[[ -z "$NODES" ]] || check_nodes "$NODES"

mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"
CONF="$DATA/cluster.conf"

if [[ -f "$CONF" ]]; then
  STORED_NODES="$(sed -n 's/^nodes=//p' "$CONF")"
  [[ "$STORED_NODES" =~ ^[0-9]+$ ]] || die "$CONF is damaged: no nodes=N line"
  if [[ -n "$NODES" && "$NODES" != "$STORED_NODES" ]]; then
    die "$DATA holds a cluster of $STORED_NODES nodes, not $NODES; use another --data or stop it and remove $DATA"
  fi
  NODES="$STORED_NODES"
fi
NODES="${NODES:-3}"
check_nodes "$NODES"

if [[ -n "$RESTORE_FROM" ]]; then
  [[ -f "$RESTORE_FROM" ]] || die "--restore-from: no such file: $RESTORE_FROM"
  RESTORE_FROM="$(cd "$(dirname "$RESTORE_FROM")" && pwd)/$(basename "$RESTORE_FROM")"
  for ((i = 1; i <= NODES; i++)); do
    [[ ! -e "$DATA/node$i/db" ]] || die "--restore-from starts a new cluster, but $DATA/node$i already holds data; use another --data"
  done
fi

client_port() { if (($1 == 1)); then echo 2379; else echo $(($1 * 10000 + 2379)); fi; }
peer_port() { if (($1 == 1)); then echo 2380; else echo $(($1 * 10000 + 2380)); fi; }

# True if DIR/nodeI.pid names node I's running kvserver.
node_running() {
  [[ -f "$DATA/node$1.pid" ]] && pid_is_node "$(cat "$DATA/node$1.pid")" "$DATA" "node$1"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

PEERS=""
ENDPOINTS=""
for ((i = 1; i <= NODES; i++)); do
  PEERS+="${PEERS:+,}127.0.0.1:$(peer_port "$i")"
  ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:$(client_port "$i")"
done

if [[ ! -f "$ROOT/server/target/kvserver.jar" || ! -f "$ROOT/cli/target/kvctl.jar" ]]; then
  echo "building kvserver.jar and kvctl.jar (mvn -B -q -DskipTests package -pl server,cli -am) ..."
  (cd "$ROOT" && mvn -B -q -DskipTests package -pl server,cli -am) || die "the build failed"
fi

echo "nodes=$NODES" >"$CONF"
echo "$ENDPOINTS" >"$DATA/endpoints"

TO_START=()
for ((i = 1; i <= NODES; i++)); do
  if node_running "$i"; then
    echo "node $i is already running (pid $(cat "$DATA/node$i.pid"))"
    continue
  fi
  for port in "$(client_port "$i")" "$(peer_port "$i")"; do
    port_in_use "$port" && die "port $port of node $i is taken by another process; nothing started"
  done
  TO_START+=("$i")
done

for i in "${TO_START[@]}"; do
  rm -f "$DATA/node$i.pid"
  mkdir -p "$DATA/node$i"
  echo "==== start-cluster: starting node $i at $(date -u +%FT%TZ)" >>"$DATA/node$i.log"
  RESTORE=()
  [[ -z "$RESTORE_FROM" ]] || RESTORE=(--restore-from "$RESTORE_FROM")
  # setsid: the node outlives this shell and the terminal; bin/kvserver execs java, so $! is its pid.
  setsid nohup "$ROOT/bin/kvserver" \
    --data-dir "$DATA/node$i" \
    --client-addr "127.0.0.1:$(client_port "$i")" \
    --peer-addr "127.0.0.1:$(peer_port "$i")" \
    --initial-cluster "$PEERS" \
    "${RESTORE[@]}" \
    >>"$DATA/node$i.log" 2>&1 </dev/null &
  echo $! >"$DATA/node$i.pid"
  echo "node $i started (pid $!), log $DATA/node$i.log"
done

echo "waiting up to ${READY_TIMEOUT_S} s for every node to report a leader ..."
if ! java -Dlogback.configurationFile="$ROOT/scripts/lib/logback-quiet.xml" \
  -cp "$ROOT/server/target/kvserver.jar" "$ROOT/scripts/lib/ClusterProbe.java" \
  "$READY_TIMEOUT_S" "$ENDPOINTS"; then
  for ((i = 1; i <= NODES; i++)); do
    node_running "$i" || echo "node $i is not running" >&2
    echo "---- last lines of $DATA/node$i.log" >&2
    tail -n 15 "$DATA/node$i.log" >&2 || true
  done
  die "the cluster did not become ready; stop it with: scripts/stop-cluster.sh --data $DATA"
fi

cat <<EOF

Ballot cluster of $NODES nodes is up (${#TO_START[@]} started now). Endpoints (also in $DATA/endpoints):
  $ENDPOINTS

Try:
  bin/kvctl --endpoints $ENDPOINTS put foo bar
  ETCDCTL_API=3 etcdctl --endpoints $ENDPOINTS get foo
Stop:
  scripts/stop-cluster.sh --data $DATA
EOF
