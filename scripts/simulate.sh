#!/usr/bin/env bash
# Runs the deterministic Raft simulation over many seeds (a soak; the default build runs 2,000).
#
#   scripts/simulate.sh                      # 100,000 seeds from seed 1
#   scripts/simulate.sh --seeds 20000 --first 500000
#   scripts/simulate.sh --seed 1929          # replay one seed exactly
#   scripts/simulate.sh --mix LEADER_CHURN   # one fault mix only
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=100000
first=1
seed=""
mix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --first) first=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --mix) mix=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "simulate.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

exec mvn -B -q -pl server -am test \
  -Dtest=SimulationTest -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true \
  -Dsim.seeds="$seeds" -Dsim.firstSeed="$first" -Dsim.seed="$seed" -Dsim.mix="$mix"
