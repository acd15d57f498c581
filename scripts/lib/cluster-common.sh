# shellcheck shell=bash
# Shared by the cluster scripts (start, stop, bench, failover); sourced, not run. Expects ROOT
# (the checkout) and, for the functions on a cluster, DATA (its directory) to be set.

MAX_NODES=6 # node i listens on i*10000+2379: 6 is the last that fits under 65536
# A stopping leader hands over first (two election timeouts at most), then answers the requests
# in flight (5 s at most): 20 s leaves room before SIGKILL.
STOP_GRACE_S=20

# die MESSAGE...: prints "SCRIPT: MESSAGE" on stderr and exits 1.
die() {
  echo "$(basename "$0" .sh): $*" >&2
  exit 1
}

# take_option VAR "$@": reads "--opt value" or "--opt=value" from the front of the arguments
# into VAR and sets TAKEN to the number of arguments used, for the caller to shift.
take_option() {
  local var="$1" opt="$2"
  if [[ "$opt" == *=* ]]; then
    printf -v "$var" '%s' "${opt#*=}"
    TAKEN=1
  else
    [[ $# -ge 3 ]] || die "$opt needs a value"
    printf -v "$var" '%s' "$3"
    TAKEN=2
  fi
}

# check_slot OPTION VALUE: VALUE is a node number 1..MAX_NODES.
check_slot() {
  if ! [[ "$2" =~ ^[1-9][0-9]*$ ]] || (($2 > MAX_NODES)); then
    die "$1 takes a node number from 1 to $MAX_NODES, not '$2'"
  fi
}

client_port() { if (($1 == 1)); then echo 2379; else echo $(($1 * 10000 + 2379)); fi; }
peer_port() { if (($1 == 1)); then echo 2380; else echo $(($1 * 10000 + 2380)); fi; }
client_addr() { echo "127.0.0.1:$(client_port "$1")"; }
peer_addr() { echo "127.0.0.1:$(peer_port "$1")"; }
# HTTP (JSON API, /health, /metrics, the dashboard): next to the client port.
http_port() { if (($1 == 1)); then echo 2381; else echo $(($1 * 10000 + 2381)); fi; }
http_addr() { echo "127.0.0.1:$(http_port "$1")"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# kvserver_java_opts: prints the JVM options bin/kvserver gives a node (its DEFAULT_JAVA_OPTS), so
# that processes measured or tested run as users run them; if it cannot read them, it says so on
# stderr and fails, printing nothing on stdout.
kvserver_java_opts() {
  local opts
  opts="$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' "$ROOT/bin/kvserver")"
  if [[ -z "$opts" ]]; then
    echo "$(basename "$0"): cannot read DEFAULT_JAVA_OPTS from $ROOT/bin/kvserver" >&2
    return 1
  fi
  echo "$opts"
}

# pid_is_node PID DATA NODE: PID is alive and is the kvserver started with --data-dir DATA/NODE,
# not some other process that reuses an old pid.
pid_is_node() {
  local pid="$1" data="$2" node="$3"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--data-dir $data/$node "
}

# node_running I: DATA/nodeI.pid names node I's running kvserver.
node_running() {
  [[ -f "$DATA/node$1.pid" ]] && pid_is_node "$(cat "$DATA/node$1.pid")" "$DATA" "node$1"
}

# node_alive I: the process DATA/nodeI.pid names is still there. Unlike node_running it does not
# look at the command line, which is briefly setsid's or bin/kvserver's right after a start.
node_alive() {
  [[ -f "$DATA/node$1.pid" ]] && kill -0 "$(cat "$DATA/node$1.pid")" 2>/dev/null
}

# read_conf: reads DATA/cluster.conf into KIND (node number -> "initial", started with
# --initial-cluster, or "joined", started with --join) and INITIAL_CLUSTER (the peer addresses the
# initial nodes were first started with). A file written before --add existed holds only nodes=N.
read_conf() {
  local conf="$DATA/cluster.conf" line slot legacy_nodes=""
  KIND=()
  INITIAL_CLUSTER=""
  while IFS= read -r line || [[ -n "$line" ]]; do
    case "$line" in
      '' | '#'*) ;;
      nodes=*) legacy_nodes="${line#nodes=}" ;;
      initial-cluster=*) INITIAL_CLUSTER="${line#initial-cluster=}" ;;
      node*=initial | node*=joined)
        slot="${line%%=*}"
        slot="${slot#node}"
        if ! [[ "$slot" =~ ^[1-9][0-9]*$ ]] || ((slot > MAX_NODES)); then
          die "$conf is damaged: '$line'"
        fi
        KIND[slot]="${line#*=}"
        ;;
      *) die "$conf is damaged: unexpected line '$line'" ;;
    esac
  done <"$conf"
  if ((${#KIND[@]} == 0)) && [[ -n "$legacy_nodes" ]]; then
    if ! [[ "$legacy_nodes" =~ ^[1-9][0-9]*$ ]] || ((legacy_nodes > MAX_NODES)); then
      die "$conf is damaged: nodes=$legacy_nodes"
    fi
    for ((slot = 1; slot <= legacy_nodes; slot++)); do KIND[slot]=initial; done
  fi
  ((${#KIND[@]} > 0)) || die "$conf is damaged: it names no node"
  if [[ -z "$INITIAL_CLUSTER" ]]; then
    for slot in "${!KIND[@]}"; do
      [[ "${KIND[slot]}" != initial ]] || INITIAL_CLUSTER+="${INITIAL_CLUSTER:+,}$(peer_addr "$slot")"
    done
  fi
}

# write_conf: writes KIND and INITIAL_CLUSTER to DATA/cluster.conf and the client endpoints of the
# nodes in KIND to DATA/endpoints, each replaced at once (rename).
write_conf() {
  local slot endpoints=""
  {
    echo "# nodes of this cluster: initial (started with --initial-cluster) or joined (--join)"
    for slot in "${!KIND[@]}"; do echo "node$slot=${KIND[slot]}"; done
    echo "initial-cluster=$INITIAL_CLUSTER"
  } >"$DATA/cluster.conf.tmp"
  mv "$DATA/cluster.conf.tmp" "$DATA/cluster.conf"
  for slot in "${!KIND[@]}"; do endpoints+="${endpoints:+,}$(client_addr "$slot")"; done
  echo "$endpoints" >"$DATA/endpoints.tmp"
  mv "$DATA/endpoints.tmp" "$DATA/endpoints"
  endpoints=""
  for slot in "${!KIND[@]}"; do endpoints+="${endpoints:+,}http://$(http_addr "$slot")"; done
  echo "$endpoints" >"$DATA/http-endpoints.tmp"
  mv "$DATA/http-endpoints.tmp" "$DATA/http-endpoints"
}

# endpoints_of I...: the client addresses of these nodes, comma-separated.
endpoints_of() {
  local slot list=""
  for slot in "$@"; do list+="${list:+,}$(client_addr "$slot")"; done
  echo "$list"
}

# member_id_of ENDPOINTS PEER: prints the id (hex, as kvctl shows it) of the member whose peer
# address is PEER (host:port), or nothing when no member has it. Fails (with kvctl's error on
# stderr) when no endpoint answers with the member list.
member_id_of() {
  local list
  list="$("$ROOT/bin/kvctl" --endpoints "$1" members)" || return 1
  # The NAME column may be empty, so every column is compared with PEER, not just the third.
  awk -v peer="$2" 'NR > 1 {
    for (f = 2; f <= NF; f++) {
      n = split($f, urls, ",")
      for (u = 1; u <= n; u++) {
        sub(/^https?:\/\//, "", urls[u])
        if (urls[u] == peer) { print $1; exit }
      }
    }
  }' <<<"$list"
}

# wait_ready SECONDS ENDPOINTS I...: waits until every endpoint reports a leader (ClusterProbe);
# gives up early when one of the nodes I... exits.
wait_ready() {
  local seconds="$1" endpoints="$2" probe rc=0 slot
  shift 2
  java -Dlogback.configurationFile="$ROOT/scripts/lib/logback-quiet.xml" \
    -cp "$ROOT/server/target/kvserver.jar" "$ROOT/scripts/lib/ClusterProbe.java" \
    "$seconds" "$endpoints" &
  probe=$!
  while kill -0 "$probe" 2>/dev/null; do
    for slot in "$@"; do
      if ! node_alive "$slot"; then
        kill "$probe" 2>/dev/null || true
        wait "$probe" 2>/dev/null || true
        echo "node $slot exited" >&2
        return 1
      fi
    done
    sleep 0.5
  done
  wait "$probe" || rc=$?
  return "$rc"
}

# stop_nodes NODE...: stops the processes named by DATA/NODE.pid (NODE like node2): SIGTERM, then
# SIGKILL for any still running after STOP_GRACE_S; removes the pid files.
stop_nodes() {
  local node pid waited alive
  local -A stopping=()
  for node in "$@"; do
    [[ -f "$DATA/$node.pid" ]] || continue
    pid="$(cat "$DATA/$node.pid")"
    if pid_is_node "$pid" "$DATA" "$node"; then
      kill -TERM "$pid" 2>/dev/null || true
      stopping[$pid]="$node"
      echo "$node: SIGTERM sent to pid $pid"
    else
      echo "$node: pid ${pid:-?} is not running (stale pid file removed)"
      rm -f "$DATA/$node.pid"
    fi
  done
  for ((waited = 0; waited < STOP_GRACE_S * 10; waited++)); do
    alive=0
    for pid in "${!stopping[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    ((alive == 0)) && break
    sleep 0.1
  done
  for pid in "${!stopping[@]}"; do
    node="${stopping[$pid]}"
    if kill -0 "$pid" 2>/dev/null; then
      echo "$node: still running after ${STOP_GRACE_S} s, SIGKILL to pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    else
      echo "$node: stopped"
    fi
    rm -f "$DATA/$node.pid"
  done
}

# retire_node I: moves node I's data and log to DATA/removed/nodeI-TIMESTAMP[.log], freeing the
# slot for a later --add (a removed node must never come back with its old data).
retire_node() {
  local dest
  dest="$DATA/removed/node$1-$(date -u +%Y%m%dT%H%M%SZ)"
  [[ ! -e "$dest" ]] || dest="$dest-$$"
  mkdir -p "$DATA/removed"
  [[ ! -e "$DATA/node$1" ]] || mv "$DATA/node$1" "$dest"
  [[ ! -e "$DATA/node$1.log" ]] || mv "$DATA/node$1.log" "$dest.log"
  echo "node $1: data and log moved to $dest"
}
