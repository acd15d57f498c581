#!/usr/bin/env bash
# Breaks one Raft rule at a time in a scratch copy of the repo and runs the simulation
# against it; every mutation must make some seeds fail. Prints one line per mutation.
#
#   scripts/mutation-check.sh              # all mutations, 2,000 seeds each (~1-2 min each)
#   SEEDS=500 scripts/mutation-check.sh    # fewer seeds
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/." "$work/"
cd "$work"
R=server/src/main/java/dev/ballot/raft
S=server/src/test/java/dev/ballot/sim
status=0

mutate() { # NAME FILE OLD NEW
  local name=$1 file=$2 old=$3 new=$4
  python3 - "$file" "$old" "$new" <<'PY' || { echo "MUTATION $name: pattern not found (update this script)"; status=1; return; }
import sys
p, old, new = sys.argv[1:]
s = open(p).read()
if old not in s:
    sys.exit(1)
open(p, "w").write(s.replace(old, new, 1))
PY
  local out
  out=$(mvn -B -q -o -pl server -am test -Dtest='SimulationTest#safetyAndLivenessHoldAcrossSeededFaultMixes' \
    -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true -Dsim.seeds="${SEEDS:-2000}" 2>&1 || true)
  git checkout -q -- "$file"
  local n
  n=$({ echo "$out" | grep -oE '"seed [0-9]+' || true; } | sort -u | wc -l)
  if [ "$n" -eq 0 ]; then
    echo "MUTATION $name: NOT CAUGHT"
    status=1
  else
    echo "MUTATION $name: caught by $n seeds, e.g.:"
    { echo "$out" | grep -oE 'seed [0-9]+ \([^)]*\) failed at [0-9]+ ms: [^"]{0,200}' | sort -u | head -1; } || true
  fi
}

mutate no-current-term-commit $R/Leader.java \
  'if (quorumIndex <= oldCommit || node.log.term(quorumIndex) != node.term()) {' 'if (quorumIndex <= oldCommit) {'
mutate ack-before-sync $S/SimNode.java \
  'return m instanceof Message.AppendEntries' 'return true || m instanceof Message.AppendEntries'
mutate no-up-to-date-check $R/RaftNode.java \
  'if (canVote && log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm())) {' 'if (canVote) {'
mutate two-votes-per-term $R/RaftNode.java 'votedFor == rv.from()' 'true'
mutate read-without-quorum $R/ReadIndexQueue.java \
  'return rounds[rounds.length - config.quorum()];' 'return lastRoundSent;'
mutate read-before-term-commit $R/Leader.java \
  'boolean committedInTerm = node.log.committed() >= firstIndexOfTerm;' 'boolean committedInTerm = true;'
mutate no-truncate-on-conflict $R/RaftLog.java '        truncateFrom(e.index());' '        return lastNew;'
mutate learner-acks-count $R/Leader.java \
  'List<Long> voters = node.cluster().voters();' 'List<Long> voters = node.cluster().members();'
mutate second-change-while-pending $R/Leader.java \
  'if (node.log.latestConfigIndex() > node.log.committed()) {' 'if (false) {'
mutate config-only-when-committed $R/RaftLog.java \
  'Map.Entry<Long, ClusterConfig> last = configs.lastEntry();' \
  'Map.Entry<Long, ClusterConfig> last = configs.floorEntry(committed);'
exit $status
