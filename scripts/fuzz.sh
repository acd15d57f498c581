#!/usr/bin/env bash
# Fuzzes the client API of a real 3-node cluster (it/ClientApiFuzzTest) for longer than the build's
# 40-second run: rounds of at most 10 minutes, each with a fresh cluster and a new seed.
#
#   scripts/fuzz.sh --seconds 1800           # 30 minutes in three rounds
#   scripts/fuzz.sh --seed 42 --seconds 60   # replay one seed (the test prints it), one round
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=1800
seed=""
round_max=600
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

run_round() { # seconds [seed]
  local args=(-Dballot.fuzz.seconds="$1")
  [ -n "${2:-}" ] && args+=(-Dballot.fuzz.seed="$2")
  # The module's own limits (a 3-minute JUnit timeout per test, a 15-minute fork) are for the build.
  mvn -B -pl it -am test -Dtest=ClientApiFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true "${args[@]}" \
    -Djunit.jupiter.execution.timeout.default="$(( $1 + 300 )) s" \
    -Dballot.it.forkTimeoutSeconds=$(( $1 + 600 ))
}

if [ -n "$seed" ]; then
  run_round "$seconds" "$seed"
  exit
fi
left=$seconds
while [ "$left" -gt 0 ]; do
  round=$(( left < round_max ? left : round_max ))
  run_round "$round"
  left=$(( left - round ))
done
