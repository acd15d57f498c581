#!/usr/bin/env bash
# Stops the kvserver processes that scripts/start-cluster.sh started in DIR, or one of them, or
# removes one node from the cluster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="./data"
NODE=""
REMOVE=""
KVCTL_TIMEOUT="15s"

# shellcheck source-path=SCRIPTDIR source=lib/cluster-common.sh
source "$ROOT/scripts/lib/cluster-common.sh"

usage() {
  cat <<EOF
usage: scripts/stop-cluster.sh [--data DIR] [--node I | --remove I]

Stops exactly the processes named by DIR/node*.pid (default DIR: ./data): SIGTERM, then SIGKILL
for any still running after ${STOP_GRACE_S} s. Removes the pid files; keeps data and logs.

--node I     stops node I only and waits until it exited; if it leads, it first hands leadership
             to the most up-to-date other node (its log says to whom and how long it took).
             scripts/start-cluster.sh --data DIR --node I starts it again: a rolling restart
             does both for each node in turn.
--remove I   removes node I from the cluster for good: finds its member id in 'kvctl members'
             (by its peer address), runs 'kvctl member remove ID' through the other nodes, stops
             it and moves its data and log to DIR/removed/nodeI-TIMESTAMP, so that a later
             scripts/start-cluster.sh --add can reuse the node number. Removing the leader is
             allowed: the cluster hands leadership to another node first.
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data | --data=*)
      take_option DATA "$@"
      shift "$TAKEN"
      ;;
    --node | --node=*)
      take_option NODE "$@"
      shift "$TAKEN"
      check_slot --node "$NODE"
      ;;
    --remove | --remove=*)
      take_option REMOVE "$@"
      shift "$TAKEN"
      check_slot --remove "$REMOVE"
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
[[ -z "$NODE" || -z "$REMOVE" ]] || die "give --node I (stop one node) or --remove I, not both"

[[ -d "$DATA" ]] || die "no directory $DATA"
DATA="$(cd "$DATA" && pwd)"

# remove_node I: takes node I out of the cluster, stops it and retires its data.
remove_node() {
  local i="$1" others=() slot endpoints id out rc
  [[ -f "$DATA/cluster.conf" ]] || die "no cluster in $DATA (no cluster.conf)"
  read_conf
  [[ -n "${KIND[i]:-}" ]] || die "node $i is not a node of the cluster in $DATA (nodes: ${!KIND[*]})"
  for slot in "${!KIND[@]}"; do ((slot == i)) || others+=("$slot"); done
  ((${#others[@]} > 0)) || die "node $i is the only node of the cluster; stop the cluster instead"
  endpoints="$(endpoints_of "${others[@]}")"

  id="$(member_id_of "$endpoints" "$(peer_addr "$i")")" ||
    die "cannot read the member list through $endpoints; nothing changed"
  if [[ -z "$id" ]]; then
    echo "node $i ($(peer_addr "$i")) is not in the member list: removed before, or it never joined"
  else
    rc=0
    out="$("$ROOT/bin/kvctl" --endpoints "$endpoints" --timeout "$KVCTL_TIMEOUT" \
      member remove "$id" 2>&1)" || rc=$?
    if ((rc == 0)); then
      echo "$out"
    elif [[ "$out" == *"etcdserver: member not found"* ]]; then
      echo "member $id is already gone"
    elif ((rc == 4)); then # kvctl: outcome unknown
      die "$out; node $i may or may not be removed: run the same command again to finish"
    else
      die "$out; nothing changed"
    fi
  fi

  stop_nodes "node$i"
  retire_node "$i"
  unset 'KIND[i]'
  write_conf
  echo "node $i removed; endpoints now (also in $DATA/endpoints): $(cat "$DATA/endpoints")"
}

if [[ -n "$REMOVE" ]]; then
  remove_node "$REMOVE"
  exit 0
fi

if [[ -n "$NODE" ]]; then
  [[ -f "$DATA/node$NODE.pid" ]] || die "node $NODE is not running (no $DATA/node$NODE.pid)"
  log_lines="$(wc -l <"$DATA/node$NODE.log" 2>/dev/null || echo 0)"
  stop_nodes "node$NODE"
  # What this stop did about leadership, from the node's own log.
  tail -n "+$((log_lines + 1))" "$DATA/node$NODE.log" 2>/dev/null |
    grep -o 'leadership handover on stop.*' || true
  exit 0
fi

shopt -s nullglob
PIDFILES=("$DATA"/node*.pid)
if [[ ${#PIDFILES[@]} -eq 0 ]]; then
  echo "no pid files in $DATA: nothing to stop"
  exit 0
fi
NODES=()
for pidfile in "${PIDFILES[@]}"; do NODES+=("$(basename "$pidfile" .pid)"); done
stop_nodes "${NODES[@]}"
