#!/usr/bin/env bash
# Runs LinearizabilityTest for longer: real kvserver processes killed, paused and cut off in random
# order for the given time, the history checked, the longest write gap printed per fault kind.
#
#   scripts/linearizability.sh --seconds 600
#   scripts/linearizability.sh --seconds 600 --seed 42    # the same fault schedule again
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
seed=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "linearizability.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*|0) echo "linearizability.sh: --seconds takes a positive number" >&2; exit 2 ;;
esac

exec mvn -B -q -pl it -am test \
  -Dtest=LinearizabilityTest -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true \
  -Dballot.lin.seconds="$seconds" ${seed:+-Dballot.lin.seed="$seed"} \
  -Djunit.jupiter.execution.timeout.default="$((seconds + 300)) s" \
  -Dballot.it.forkTimeoutSeconds=$((seconds + 600))
