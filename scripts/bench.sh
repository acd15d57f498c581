#!/usr/bin/env bash
# Benchmarks etcd and Ballot (and, if asked, the floor servers) one after the other on this
# machine, with the same load generator (bench/target/ballot-bench.jar: the etcd v3 stubs over
# bare grpc-java), and prints one table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/cluster-common.sh
source "$ROOT/scripts/lib/cluster-common.sh"

BENCH_JAR="$ROOT/bench/target/ballot-bench.jar"
WARMUP_S=""
DURATION_S=""
COLD_WARMUP_S=10
QUICK=0
CHECK_PERF=""
OUT=""
SYSTEMS="etcd,ballot"
VALUE_SIZE_BYTES=256
KEYS=10000
READY_TIMEOUT_S=60
# etcd's ports: outside Ballot's scheme (2379/2380, then i*10000+2379/2380 for node i).
ETCD_CLIENT_PORTS=(14379 14389 14399)
ETCD_PEER_PORTS=(14380 14390 14400)
# The floor servers' ports (--systems ...,floor).
FLOOR_PORTS=(15379 15389 15399)
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms1g -Xmx1g}"

usage() {
  cat <<EOF
usage: scripts/bench.sh [--quick] [--warmup S] [--duration S] [--check-perf | --no-check-perf]
                        [--out DIR] [--systems etcd,ballot[,floor]]

Starts a 3-node etcd cluster (etcd from Debian; installed with apt-get if missing) and runs the
matrix on it, stops it; then starts a 3-node Ballot cluster (scripts/start-cluster.sh, defaults)
and runs the same matrix, stops it. Never both at once. Each cluster has its own fresh data
directory, fsync on, no unsafe flags. The matrix, in this order, per system:

  1 cold put 64       right after the cluster started, ${COLD_WARMUP_S} s warm-up
  2 put 1 leader      3 put 1 follower
  4 put 16            5 put 64            6 put 256            (all endpoints)
  7 get-lin 64        8 get-ser 64        (every key written first)

${VALUE_SIZE_BYTES}-byte values, ${KEYS} keys. Then, with --check-perf (the default unless --quick),
'etcdctl check perf --load m' and '--load l' (60 s each).

  --warmup S     seconds of load before each measured row (default 30; --quick: 3)
  --duration S   seconds measured per row (default 20; --quick: 5)
  --quick        a short smoke run: 3 s warm-up (also for the cold row), 5 s measured, no check perf
  --out DIR      where results go (default bench-results/DATE in the checkout)
  --systems L    which systems to run, comma-separated: etcd, ballot, floor (default etcd,ballot)

DIR gets results.jsonl (one JSON line per row and system), table.md (the table printed at the
end), chart.svg (ops/s and p99 per row), machine.txt, checkperf-SYSTEM-LOAD.txt and logs/.
A full run takes about 17 minutes; --quick about 4. BENCH_JAVA_OPTS sets the load generator's
JVM options (default: -Xms1g -Xmx1g).

--systems etcd,ballot,floor adds a third system: three 'ballot-bench floor-server' processes
that answer Range, Put and DeleteRange from a map in their own memory (no log, no disk, no
replication), with kvserver's JVM options and its one event loop per process. Its rows are the
ceiling that the load generator and gRPC alone leave on this machine (about 9 more minutes).
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --warmup | --warmup=*)
      take_option WARMUP_S "$@"
      shift "$TAKEN"
      ;;
    --duration | --duration=*)
      take_option DURATION_S "$@"
      shift "$TAKEN"
      ;;
    --out | --out=*)
      take_option OUT "$@"
      shift "$TAKEN"
      ;;
    --systems | --systems=*)
      take_option SYSTEMS "$@"
      shift "$TAKEN"
      ;;
    --quick)
      QUICK=1
      shift
      ;;
    --check-perf)
      CHECK_PERF=1
      shift
      ;;
    --no-check-perf)
      CHECK_PERF=0
      shift
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

if ((QUICK)); then
  WARMUP_S="${WARMUP_S:-3}"
  DURATION_S="${DURATION_S:-5}"
  COLD_WARMUP_S=3
  CHECK_PERF="${CHECK_PERF:-0}"
fi
WARMUP_S="${WARMUP_S:-30}"
DURATION_S="${DURATION_S:-20}"
CHECK_PERF="${CHECK_PERF:-1}"
for value in "$WARMUP_S" "$DURATION_S"; do
  [[ "$value" =~ ^[0-9]+$ ]] || die "--warmup and --duration take whole seconds, not '$value'"
done
((DURATION_S > 0)) || die "--duration must be at least 1 second"
IFS=',' read -r -a SYSTEM_LIST <<<"$SYSTEMS"
for system in "${SYSTEM_LIST[@]}"; do
  [[ "$system" == etcd || "$system" == ballot || "$system" == floor ]] ||
    die "--systems takes etcd, ballot and/or floor, not '$system'"
done

OUT="${OUT:-$ROOT/bench-results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT/logs"
OUT="$(cd "$OUT" && pwd)"
[[ ! -e "$OUT/results.jsonl" ]] || die "$OUT already holds results; give another --out"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ballot-bench.XXXXXX")"

ETCD_PIDS=()
BALLOT_DATA=""
FLOOR_PIDS=()
GENERATOR_PID=""

# stop_pids PID...: TERM, then KILL whatever still runs after STOP_GRACE_S.
stop_pids() {
  local pid deadline
  (($# > 0)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  deadline=$((SECONDS + STOP_GRACE_S))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# ports_free WHAT PORT...: whether every port is free; names the first taken one.
ports_free() {
  local what="$1" port
  shift
  for port in "$@"; do
    if port_in_use "$port"; then
      echo "port $port for $what is taken by another process" >&2
      return 1
    fi
  done
}

stop_etcd() {
  ((${#ETCD_PIDS[@]} > 0)) || return 0
  stop_pids "${ETCD_PIDS[@]}"
  ETCD_PIDS=()
  cp "$WORK"/etcd/e*.log "$OUT/logs/" 2>/dev/null || true
}

stop_ballot() {
  [[ -n "$BALLOT_DATA" ]] || return 0
  "$ROOT/scripts/stop-cluster.sh" --data "$BALLOT_DATA" >>"$OUT/logs/ballot-cluster.log" 2>&1 || true
  for log in "$BALLOT_DATA"/node*.log; do
    [[ -f "$log" ]] && cp "$log" "$OUT/logs/ballot-$(basename "$log")"
  done
  BALLOT_DATA=""
}

stop_floor() {
  ((${#FLOOR_PIDS[@]} > 0)) || return 0
  stop_pids "${FLOOR_PIDS[@]}"
  FLOOR_PIDS=()
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n "$GENERATOR_PID" ]]; then kill -TERM "$GENERATOR_PID" 2>/dev/null; fi
  stop_etcd
  stop_ballot
  stop_floor
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "bench: interrupted; stopping what it started" >&2; exit 130' INT TERM

ensure_tools() {
  if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
    echo "installing etcd (apt-get install -y etcd-server etcd-client) ..."
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get install -y etcd-server etcd-client >"$OUT/logs/apt-get.log" 2>&1 ||
      { "${sudo[@]}" apt-get update >>"$OUT/logs/apt-get.log" 2>&1 &&
        "${sudo[@]}" apt-get install -y etcd-server etcd-client >>"$OUT/logs/apt-get.log" 2>&1; } ||
      die "could not install etcd; see $OUT/logs/apt-get.log"
  fi
  if [[ ! -f "$BENCH_JAR" || ! -f "$ROOT/server/target/kvserver.jar" || ! -f "$ROOT/cli/target/kvctl.jar" ]]; then
    echo "building the jars (mvn -B -q -DskipTests package -pl server,cli,bench -am) ..."
    (cd "$ROOT" && mvn -B -q -DskipTests package -pl server,cli,bench -am) || die "the build failed"
  fi
}

record_machine() {
  {
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine:  $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB RAM"
    echo "kernel:   $(uname -sr)"
    echo "java:     $(java -version 2>&1 | head -n 1)"
    echo "etcd:     $(etcd --version 2>/dev/null | head -n 1)"
    echo "ballot:   $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "settings: ${WARMUP_S} s warm-up (cold row: ${COLD_WARMUP_S} s), ${DURATION_S} s measured, ${VALUE_SIZE_BYTES}-byte values, ${KEYS} keys, 3 nodes each on 127.0.0.1"
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average at the start)"
  } >"$OUT/machine.txt"
  cat "$OUT/machine.txt"
}

# wait_writable ENDPOINTS: until a write through each endpoint succeeds (at most READY_TIMEOUT_S).
wait_writable() {
  local endpoint endpoints deadline=$((SECONDS + READY_TIMEOUT_S))
  IFS=',' read -r -a endpoints <<<"$1"
  for endpoint in "${endpoints[@]}"; do
    until ETCDCTL_API=3 etcdctl --endpoints="$endpoint" --command-timeout=3s put bench-health ok >/dev/null 2>&1; do
      ((SECONDS < deadline)) || return 1
      sleep 0.5
    done
  done
}

# start_etcd: a fresh 3-node etcd cluster on 127.0.0.1; sets ENDPOINTS and PIDS.
start_etcd() {
  local i cluster="" token="bench-$$-$RANDOM"
  mkdir -p "$WORK/etcd"
  ports_free etcd "${ETCD_CLIENT_PORTS[@]}" "${ETCD_PEER_PORTS[@]}" || return 1
  for i in 0 1 2; do
    cluster+="${cluster:+,}e$((i + 1))=http://127.0.0.1:${ETCD_PEER_PORTS[i]}"
  done
  ENDPOINTS=""
  for i in 0 1 2; do
    # setsid: Ctrl-C reaches this script, whose trap stops the members.
    setsid etcd --name "e$((i + 1))" --data-dir "$WORK/etcd/e$((i + 1))" \
      --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORTS[i]}" \
      --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORTS[i]}" \
      --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORTS[i]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORTS[i]}" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$token" \
      >"$WORK/etcd/e$((i + 1)).log" 2>&1 </dev/null &
    ETCD_PIDS+=("$!")
    ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${ETCD_CLIENT_PORTS[i]}"
  done
  PIDS="$(
    IFS=,
    echo "${ETCD_PIDS[*]}"
  )"
}

# start_ballot: a fresh 3-node Ballot cluster with scripts/start-cluster.sh; sets ENDPOINTS and PIDS.
start_ballot() {
  BALLOT_DATA="$WORK/ballot"
  "$ROOT/scripts/start-cluster.sh" --data "$BALLOT_DATA" >"$OUT/logs/ballot-cluster.log" 2>&1 || return 1
  ENDPOINTS="$(cat "$BALLOT_DATA/endpoints")"
  PIDS="$(cat "$BALLOT_DATA"/node*.pid | paste -sd, -)"
}

# start_floor: three floor servers (a map in memory behind the API), with the JVM options
# bin/kvserver gives a node; sets ENDPOINTS and PIDS. Member 1 names itself the leader.
start_floor() {
  local i jvm_options
  jvm_options="$(kvserver_java_opts)" || return 1
  ports_free "the floor servers" "${FLOOR_PORTS[@]}" || return 1
  ENDPOINTS=""
  for i in 0 1 2; do
    # shellcheck disable=SC2086 # a list of options
    setsid java $jvm_options -jar "$BENCH_JAR" floor-server \
      --listen "127.0.0.1:${FLOOR_PORTS[i]}" --member-id "$((i + 1))" --leader-id 1 \
      >"$OUT/logs/floor-$((i + 1)).log" 2>&1 </dev/null &
    FLOOR_PIDS+=("$!")
    ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${FLOOR_PORTS[i]}"
  done
  PIDS="$(
    IFS=,
    echo "${FLOOR_PIDS[*]}"
  )"
}

# clear_check_perf_keys ENDPOINTS: deletes etcdctl check perf's keys through each endpoint.
clear_check_perf_keys() {
  local endpoint endpoints
  IFS=',' read -r -a endpoints <<<"$1"
  for endpoint in "${endpoints[@]}"; do
    ETCDCTL_API=3 etcdctl --endpoints="$endpoint" --command-timeout=30s \
      del --prefix /etcdctl-check-perf/ >/dev/null 2>&1 || true
  done
}

# The matrix: row label, workload, clients, target.
ROWS=(
  "cold put 64|put|64|all"
  "put 1 leader|put|1|leader"
  "put 1 follower|put|1|follower"
  "put 16|put|16|all"
  "put 64|put|64|all"
  "put 256|put|256|all"
  "get-lin 64|get-lin|64|all"
  "get-ser 64|get-ser|64|all"
)

# failed_line SYSTEM ROW WORKLOAD CLIENTS TARGET REASON: the JSON line of a row that did not run.
failed_line() {
  local reason="${6//[\"\\]/ }"
  printf '{"system":"%s","row":"%s","workload":"%s","clients":%s,"target":"%s","failed":true,"reason":"%s"}\n' \
    "$1" "$2" "$3" "$4" "$5" "$reason"
}

# run_row SYSTEM WARMUP_S ROW WORKLOAD CLIENTS TARGET: one run of the load generator; its JSON
# line (or a failed one) goes to results.jsonl.
run_row() {
  local system="$1" warmup="$2" row="$3" workload="$4" clients="$5" target="$6" rc=0 line
  local json="$WORK/row.json" progress tee_pid
  echo "== $system: $row (${warmup} s warm-up, ${DURATION_S} s measured)"
  # The generator's stderr (progress line, errors) goes to the terminal and its log; waiting for
  # tee keeps its last line from mixing with the next row's.
  exec {progress}> >(tee -a "$OUT/logs/$system-generator.log" >&2)
  tee_pid=$!
  # shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
  timeout --signal=TERM "$((warmup + DURATION_S + 180))" java $BENCH_JAVA_OPTS -jar "$BENCH_JAR" \
    --system "$system" --row "$row" --endpoints "$ENDPOINTS" --workload "$workload" \
    --clients "$clients" --target "$target" --warmup "$warmup" --duration "$DURATION_S" \
    --value-size "$VALUE_SIZE_BYTES" --keys "$KEYS" --server-pids "$PIDS" \
    --clock-ticks "$(getconf CLK_TCK)" \
    >"$json" 2>&"$progress" &
  GENERATOR_PID=$!
  wait "$GENERATOR_PID" || rc=$?
  GENERATOR_PID=""
  exec {progress}>&-
  wait "$tee_pid" || true
  line="$(grep '^{' "$json" | tail -n 1 || true)"
  if [[ -z "$line" ]]; then
    if ((rc == 124)); then
      line="$(failed_line "$system" "$row" "$workload" "$clients" "$target" "timed out")"
    else
      line="$(failed_line "$system" "$row" "$workload" "$clients" "$target" "load generator exited with status $rc")"
    fi
  fi
  echo "$line" >>"$OUT/results.jsonl"
  ((rc == 0)) || echo "   row failed (status $rc); see $OUT/logs/$system-generator.log" >&2
}

# fail_all SYSTEM REASON: every row of SYSTEM is reported failed.
fail_all() {
  local entry row workload clients target
  for entry in "${ROWS[@]}"; do
    IFS='|' read -r row workload clients target <<<"$entry"
    failed_line "$1" "$row" "$workload" "$clients" "$target" "$2" >>"$OUT/results.jsonl"
  done
}

run_system() {
  local system="$1" entry row workload clients target warmup load
  echo
  echo "==== $system: starting a 3-node cluster"
  # Writes still in the page cache (the system measured before, its deleted data, a build) would
  # be written back while this one runs, on the same disk: the two would share it after all.
  sync
  if ! "start_$system"; then
    echo "$system: the cluster did not start; see $OUT/logs" >&2
    fail_all "$system" "cluster did not start"
    "stop_$system"
    return
  fi
  if ! wait_writable "$ENDPOINTS"; then
    echo "$system: no write succeeded within ${READY_TIMEOUT_S} s" >&2
    fail_all "$system" "cluster not writable within ${READY_TIMEOUT_S} s"
    "stop_$system"
    return
  fi
  echo "$system is up: $ENDPOINTS (pids $PIDS)"
  for entry in "${ROWS[@]}"; do
    IFS='|' read -r row workload clients target <<<"$entry"
    warmup="$WARMUP_S"
    [[ "$row" != cold* ]] || warmup="$COLD_WARMUP_S"
    run_row "$system" "$warmup" "$row" "$workload" "$clients" "$target"
  done
  if ((CHECK_PERF)); then
    for load in m l; do
      echo "== $system: etcdctl check perf --load $load (60 s)"
      # The floor servers share nothing, and check perf deletes its keys through one endpoint.
      [[ "$system" != floor ]] || clear_check_perf_keys "$ENDPOINTS"
      ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" check perf --load "$load" \
        >"$OUT/checkperf-$system-$load.txt" 2>&1 || true
      grep -E '^(PASS|FAIL)' "$OUT/checkperf-$system-$load.txt" | tail -n 1 || true
    done
  fi
  "stop_$system"
  rm -rf "${WORK:?}/$system" # its data (the logs were copied to OUT)
}

ensure_tools
record_machine
for system in "${SYSTEM_LIST[@]}"; do
  run_system "$system"
done
echo
java -jar "$BENCH_JAR" report "$OUT"
echo
echo "results in $OUT (table.md, chart.svg, results.jsonl, logs/)"
