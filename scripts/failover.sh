#!/usr/bin/env bash
# Measures failover on real kvserver processes with the server's default timeouts and JVM options:
# faults at the leader (it/LinearizabilityTest: the history is checked, the longest write gap and
# the elections are printed per fault), then a healthy cluster under full load that must hold no
# election (it/SteadyLoadTest).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
# shellcheck source=lib/cluster-common.sh
source "$ROOT/scripts/lib/cluster-common.sh"

rounds=20
faults="KILL,PAUSE,ISOLATE_LEADER,BLACKHOLE_LEADER,GRACEFUL_RESTART"
steady_seconds=600
steady_clients=256
timeouts=server
only=""
seed=""

usage() {
  cat <<EOF
usage: scripts/failover.sh [--rounds N] [--faults LIST] [--steady-seconds S] [--clients N]
                           [--timeouts server|HB/ET] [--only faults|steady] [--seed S]

1. Faults: a 3-node cluster, six clients doing gets, puts and compare-and-swaps through every
   node; each round strikes the leader once with every fault in LIST (default $faults),
   in random order, each for 1-3 s, then heals it. Prints per fault the longest time without an
   acknowledged write and the elections (terms begun), and a table per kind; fails on a
   linearizability violation. --rounds N (default $rounds) rounds.
     KILL               SIGKILL, restart on the same data
     PAUSE              SIGSTOP, SIGCONT
     ISOLATE_LEADER     links to the others reset (as by a peer that refuses)
     BLACKHOLE_LEADER   links to the others stall without a reset (as by a dropping firewall)
     GRACEFUL_RESTART   SIGTERM (the leader hands over first), restart: a rolling restart's step
2. Steady: a healthy 3-node cluster takes --clients (default $steady_clients) puts in flight
   for --steady-seconds (default $steady_seconds); fails if any node's term moves.

--timeouts HB/ET runs the servers with --heartbeat-interval-ms HB --election-timeout-ms ET
instead of their defaults. The servers get bin/kvserver's JVM options. About 25 minutes with the
defaults; logs and the history stay in it/target/it.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --steady-seconds) steady_seconds=$2; shift 2 ;;
    --clients) steady_clients=$2; shift 2 ;;
    --timeouts) timeouts=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "failover.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$rounds" "$steady_seconds" "$steady_clients"; do
  case "$n" in
    ''|*[!0-9]*|0) echo "failover.sh: --rounds, --steady-seconds and --clients take positive numbers" >&2; exit 2 ;;
  esac
done
case "$only" in
  ''|faults|steady) ;;
  *) echo "failover.sh: --only takes faults or steady" >&2; exit 2 ;;
esac
case "$timeouts" in
  server|[0-9]*/[0-9]*) ;;
  *) echo "failover.sh: --timeouts takes server or HB/ET in milliseconds, e.g. 50/500" >&2; exit 2 ;;
esac

# The JVM options bin/kvserver gives a node, so that the processes measured are the ones users run.
jvm_args=$(kvserver_java_opts) || exit 1

run_tests() {
  local test=$1 budget_s=$2
  shift 2
  mvn -B -q -pl it -am verify \
    -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true \
    -Dballot.it.jvmArgs="$jvm_args" \
    -Djunit.jupiter.execution.timeout.default="$budget_s s" \
    -Dballot.it.forkTimeoutSeconds=$((budget_s + 300)) \
    "$@"
}

if [ "$only" != steady ]; then
  kinds=$(echo "$faults" | tr ',' '\n' | grep -c .)
  run_tests LinearizabilityTest $((rounds * kinds * 30 + 300)) \
    -Dballot.lin.rounds="$rounds" -Dballot.lin.faults="$faults" -Dballot.lin.leaderOnly=true \
    -Dballot.lin.timeouts="$timeouts" ${seed:+-Dballot.lin.seed="$seed"}
fi
if [ "$only" != faults ]; then
  run_tests SteadyLoadTest $((steady_seconds + 300)) \
    -Dballot.steady.seconds="$steady_seconds" -Dballot.steady.clients="$steady_clients" \
    -Dballot.steady.timeouts="$timeouts"
fi
