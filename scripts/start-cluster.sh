#!/usr/bin/env bash
# Starts a local Ballot cluster of N kvserver processes on 127.0.0.1, in the background.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES=""
DATA="./data"
RESTORE_FROM=""
ADD=0
ONLY=""
READY_TIMEOUT_S=60

# shellcheck source-path=SCRIPTDIR source=lib/cluster-common.sh
source "$ROOT/scripts/lib/cluster-common.sh"

usage() {
  cat <<EOF
usage: scripts/start-cluster.sh [--nodes N] [--data DIR] [--restore-from FILE]
       scripts/start-cluster.sh --add [--data DIR]
       scripts/start-cluster.sh --node I [--data DIR]

Starts N kvserver processes (default 3, at most $MAX_NODES) on 127.0.0.1 in the background and
waits (at most ${READY_TIMEOUT_S} s) until every node reports a leader.

  node 1: clients 127.0.0.1:2379   peers 127.0.0.1:2380   HTTP 127.0.0.1:2381
  node i: clients 127.0.0.1:i2379  peers 127.0.0.1:i2380  HTTP 127.0.0.1:i2381
          (22379/22380/22381, 32379/32380/32381, ...)

Each node is named nodeI (kvserver --name) and serves HTTP: the dashboard at http://HOST:PORT/,
/health, /metrics and the JSON API under /v1/.

Files in DIR (default ./data):
  DIR/nodeI/      the node's data        DIR/nodeI.log   its log (appended)
  DIR/nodeI.pid   its process id         DIR/endpoints   client endpoints, comma-separated
  DIR/http-endpoints   the nodes' HTTP addresses (http://...), comma-separated
  DIR/cluster.conf   the nodes and how each was first started, so that a later run starts the
                     same cluster
  DIR/removed/    data and logs of nodes removed with stop-cluster.sh --remove

--restore-from FILE starts a new cluster whose every node is seeded from the backup FILE
(kvctl or etcdctl snapshot save); DIR must not hold a cluster yet.

--add starts one more node that joins the running cluster in DIR: the lowest free node number
(kvserver --join with the peer addresses of the running nodes). It joins as a learner and
becomes a voter once it has caught up. Remove a node with scripts/stop-cluster.sh --remove I.

Run again on the same DIR to start only the nodes that are not running, with their data and
the same flags. --node I starts node I alone (if it is not running) and waits until it reports a
leader: with scripts/stop-cluster.sh --node I, one step of a rolling restart. Stop the cluster with scripts/stop-cluster.sh --data DIR.
Builds server/target/kvserver.jar and cli/target/kvctl.jar first if they are missing.
EOF
}

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
    --add)
      ADD=1
      shift
      ;;
    --node | --node=*)
      take_option ONLY "$@"
      shift "$TAKEN"
      check_slot --node "$ONLY"
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

if ((ADD)) && [[ -n "$NODES" || -n "$RESTORE_FROM" ]]; then
  die "--add starts one node that joins a running cluster; it takes no --nodes or --restore-from"
fi
if [[ -n "$ONLY" ]] && { ((ADD)) || [[ -n "$NODES" || -n "$RESTORE_FROM" ]]; }; then
  die "--node I starts one node of an existing cluster; it takes no --add, --nodes or --restore-from"
fi
if [[ -n "$NODES" ]]; then
  [[ "$NODES" =~ ^[0-9]+$ ]] || die "--nodes must be a number, not '$NODES'"
  if ((NODES < 1 || NODES > MAX_NODES)); then
    die "--nodes must be between 1 and $MAX_NODES (node i uses ports i*10000+2379 and +2380)"
  fi
fi

mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"
KIND=()
INITIAL_CLUSTER=""

if [[ -f "$DATA/cluster.conf" ]]; then
  read_conf
  if [[ -n "$NODES" && "$NODES" != "${#KIND[@]}" ]]; then
    die "$DATA holds a cluster of ${#KIND[@]} nodes (${!KIND[*]}), not $NODES; use another --data or stop it and remove $DATA"
  fi
elif [[ -n "$ONLY" ]]; then
  die "no cluster in $DATA (no cluster.conf); start it first: scripts/start-cluster.sh --data $DATA"
elif ((ADD)); then
  die "no cluster in $DATA to add a node to; start one first: scripts/start-cluster.sh --data $DATA"
else
  for ((i = 1; i <= ${NODES:-3}; i++)); do
    KIND[i]=initial
    INITIAL_CLUSTER+="${INITIAL_CLUSTER:+,}$(peer_addr "$i")"
  done
fi

if [[ -n "$RESTORE_FROM" ]]; then
  [[ -f "$RESTORE_FROM" ]] || die "--restore-from: no such file: $RESTORE_FROM"
  RESTORE_FROM="$(cd "$(dirname "$RESTORE_FROM")" && pwd)/$(basename "$RESTORE_FROM")"
  for i in "${!KIND[@]}"; do
    [[ ! -e "$DATA/node$i/db" ]] || die "--restore-from starts a new cluster, but $DATA/node$i already holds data; use another --data"
  done
fi

if [[ ! -f "$ROOT/server/target/kvserver.jar" || ! -f "$ROOT/cli/target/kvctl.jar" ]]; then
  echo "building kvserver.jar and kvctl.jar (mvn -B -q -DskipTests package -pl server,cli -am) ..."
  (cd "$ROOT" && mvn -B -q -DskipTests package -pl server,cli -am) || die "the build failed"
fi

# join_list I: the peer addresses for node I's --join: with --add, those of the running nodes;
# on a restart, those of every other node (being started too; a node with data ignores --join).
join_list() {
  local slot list=""
  for slot in "${!KIND[@]}"; do
    ((slot != $1)) || continue
    if ((!ADD)) || node_running "$slot"; then list+="${list:+,}$(peer_addr "$slot")"; fi
  done
  echo "$list"
}

# launch I: starts node I in the background, with the flags of its kind.
launch() {
  local i="$1" membership=() extra=() through
  if [[ "${KIND[i]}" == joined ]]; then
    # A node with an identity needs neither flag, so a lone joined node restarts without one.
    through="$(join_list "$i")"
    [[ -z "$through" ]] || membership=(--join "$through")
  else
    membership=(--initial-cluster "$INITIAL_CLUSTER")
    [[ -z "$RESTORE_FROM" ]] || extra=(--restore-from "$RESTORE_FROM")
  fi
  for port in "$(client_port "$i")" "$(peer_port "$i")" "$(http_port "$i")"; do
    port_in_use "$port" && die "port $port of node $i is taken by another process; node $i not started"
  done
  rm -f "$DATA/node$i.pid"
  mkdir -p "$DATA/node$i"
  echo "==== start-cluster: starting node $i at $(date -u +%FT%TZ)" >>"$DATA/node$i.log"
  # setsid: the node outlives this shell and the terminal; bin/kvserver execs java, so $! is its pid.
  setsid nohup "$ROOT/bin/kvserver" \
    --data-dir "$DATA/node$i" \
    --name "node$i" \
    --client-addr "$(client_addr "$i")" \
    --http-addr "$(http_addr "$i")" \
    --peer-addr "$(peer_addr "$i")" \
    "${membership[@]}" \
    "${extra[@]}" \
    >>"$DATA/node$i.log" 2>&1 </dev/null &
  echo $! >"$DATA/node$i.pid"
  echo "node $i started (pid $!${membership[*]:+, ${membership[*]}}), log $DATA/node$i.log"
}

# add_node: starts one more node that joins the running cluster, in the lowest free slot.
add_node() {
  local slot i="" running=() skipped=() id
  for slot in "${!KIND[@]}"; do
    if node_running "$slot"; then running+=("$slot"); fi
  done
  ((${#running[@]} > 0)) || die "no node of the cluster in $DATA is running; start it first: scripts/start-cluster.sh --data $DATA"
  for ((slot = 1; slot <= MAX_NODES; slot++)); do
    [[ -z "${KIND[slot]:-}" ]] || continue
    if [[ -e "$DATA/node$slot" ]]; then
      skipped+=("node $slot: $DATA/node$slot exists but is not in cluster.conf")
    elif port_in_use "$(client_port "$slot")" || port_in_use "$(peer_port "$slot")" ||
      port_in_use "$(http_port "$slot")"; then
      skipped+=("node $slot: port $(client_port "$slot"), $(peer_port "$slot") or $(http_port "$slot") is taken")
    else
      i="$slot"
      break
    fi
  done
  for line in "${skipped[@]}"; do echo "skipped $line" >&2; done
  [[ -n "$i" ]] || die "no free node number: a local cluster has at most $MAX_NODES nodes (ports i*10000+2379)"

  KIND[i]=joined
  write_conf # before the start: a node that may have joined is never forgotten
  launch "$i"
  echo "waiting up to ${READY_TIMEOUT_S} s for node $i to join and report a leader ..."
  if wait_ready "$READY_TIMEOUT_S" "$(client_addr "$i")" "$i"; then
    echo
    "$ROOT/bin/kvctl" --endpoints "$(endpoints_of "${!KIND[@]}")" members || true
    cat <<EOF

node $i joined: clients $(client_addr "$i"), peers $(peer_addr "$i"); endpoints now in $DATA/endpoints:
  $(cat "$DATA/endpoints")
It is a learner until it has caught up with the leader, then a voter.
Remove it: scripts/stop-cluster.sh --data $DATA --remove $i
EOF
    return
  fi
  echo "---- last lines of $DATA/node$i.log" >&2
  tail -n 15 "$DATA/node$i.log" >&2 || true
  if ! node_alive "$i" &&
    id="$(member_id_of "$(endpoints_of "${running[@]}")" "$(peer_addr "$i")")" && [[ -z "$id" ]]; then
    # It died and the cluster never took it in: undo, so the slot is free again.
    rm -f "$DATA/node$i.pid"
    retire_node "$i"
    unset 'KIND[i]'
    write_conf
    die "node $i exited without joining the cluster; nothing changed (its log is in $DATA/removed)"
  fi
  die "node $i did not report a leader within ${READY_TIMEOUT_S} s; it stays in $DATA/cluster.conf: look at its log, restart it with scripts/start-cluster.sh --data $DATA, or remove it with scripts/stop-cluster.sh --data $DATA --remove $i"
}

if ((ADD)); then
  add_node
  exit 0
fi

write_conf
ENDPOINTS="$(cat "$DATA/endpoints")"
SLOTS=("${!KIND[@]}")
if [[ -n "$ONLY" ]]; then
  [[ -n "${KIND[ONLY]:-}" ]] || die "node $ONLY is not a node of the cluster in $DATA (nodes: ${!KIND[*]})"
  SLOTS=("$ONLY")
  ENDPOINTS="$(client_addr "$ONLY")"
fi

TO_START=()
for i in "${SLOTS[@]}"; do
  if node_running "$i"; then
    echo "node $i is already running (pid $(cat "$DATA/node$i.pid"))"
    continue
  fi
  for port in "$(client_port "$i")" "$(peer_port "$i")" "$(http_port "$i")"; do
    port_in_use "$port" && die "port $port of node $i is taken by another process; nothing started"
  done
  TO_START+=("$i")
done

# Initial nodes first: a joined node restarting with empty data joins through the running ones.
for i in "${TO_START[@]}"; do [[ "${KIND[i]}" == joined ]] || launch "$i"; done
for i in "${TO_START[@]}"; do [[ "${KIND[i]}" != joined ]] || launch "$i"; done

echo "waiting up to ${READY_TIMEOUT_S} s for every node to report a leader ..."
if ! wait_ready "$READY_TIMEOUT_S" "$ENDPOINTS" "${SLOTS[@]}"; then
  for i in "${SLOTS[@]}"; do
    node_running "$i" || echo "node $i is not running" >&2
    echo "---- last lines of $DATA/node$i.log" >&2
    tail -n 15 "$DATA/node$i.log" >&2 || true
  done
  die "the cluster did not become ready; stop it with: scripts/stop-cluster.sh --data $DATA"
fi

if [[ -n "$ONLY" ]]; then
  echo "node $ONLY is up (${#TO_START[@]} started now): clients $(client_addr "$ONLY"), peers $(peer_addr "$ONLY")"
  exit 0
fi

cat <<EOF

Ballot cluster of ${#KIND[@]} nodes is up (${#TO_START[@]} started now). Endpoints (also in $DATA/endpoints):
  $ENDPOINTS
HTTP (dashboard at /, JSON API, /health, /metrics; also in $DATA/http-endpoints):
  $(cat "$DATA/http-endpoints")

Try:
  bin/kvctl --endpoints $ENDPOINTS put foo bar
  ETCDCTL_API=3 etcdctl --endpoints $ENDPOINTS get foo
  curl -s http://$(http_addr "${SLOTS[0]}")/v1/kv/foo
  open http://$(http_addr "${SLOTS[0]}")/ in a browser for the dashboard
Grow it by one node / remove node I:
  scripts/start-cluster.sh --data $DATA --add
  scripts/stop-cluster.sh --data $DATA --remove I
Stop:
  scripts/stop-cluster.sh --data $DATA
EOF
