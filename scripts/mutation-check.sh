#!/usr/bin/env bash
# Breaks one Raft rule at a time in a scratch copy of the repo and runs the simulation
# against it; every mutation must make some seeds fail. The unmutated simulation runs first
# (a baseline that must pass, or no verdict means anything). Prints, per mutation, how many
# seeds failed, how many of them by the check expected to catch it, and one example.
#
#   scripts/mutation-check.sh              # all mutations, 2,000 seeds each (~1-2 min each)
#   SEEDS=500 scripts/mutation-check.sh    # fewer seeds
#   ONLY='ack-before-sync|apply-.*' scripts/mutation-check.sh   # the mutations whose names match
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/." "$work/"
cd "$work"
R=server/src/main/java/dev/ballot/raft
N=server/src/main/java/dev/ballot/node
K=server/src/main/java/dev/ballot/kv
status=0
MIN_MARGIN=${MIN_MARGIN:-10}   # fewer failing seeds than this: caught, but narrowly

simulate() { # [SEEDS]: prints the test output; never fails
  mvn -B -q -o -pl server -am test -Dtest='SimulationTest#safetyAndLivenessHoldAcrossSeededFaultMixes' \
    -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true -Dsim.seeds="${1:-${SEEDS:-2000}}" 2>&1 || true
}
unit_tests() { # TESTS: prints the names of those that fail; never fails
  { mvn -B -o -pl server -am test -Dtest="$1" -Dsurefire.failIfNoSpecifiedTests=false \
      -Dspotless.check.skip=true 2>&1 || true; } | grep -oE '<<< (FAILURE|ERROR)! -- in [A-Za-z.]+' \
    | sed 's/.* in //' | sort -u | tr '\n' ' '
}
failing_seeds() { # OUTPUT [PATTERN]: how many seeds failed (with PATTERN in their failure)
  { echo "$1" | grep -oE 'seed [0-9]+ \([^)]*\) failed at [0-9]+ ms: [^"]{0,300}' \
      | grep -E "${2:-.}" | grep -oE '^seed [0-9]+' || true; } | sort -u | wc -l
}

baseline=$(simulate)
if [ "$(failing_seeds "$baseline")" -ne 0 ] || echo "$baseline" | grep -q '\[ERROR\]'; then
  echo "BASELINE: the unmutated simulation fails; fix that first:"
  echo "$baseline" | grep -oE 'seed [0-9]+ \([^)]*\) failed at [0-9]+ ms: [^"]{0,200}' | sort -u | head -3
  exit 1
fi
echo "BASELINE: the unmutated simulation passes ${SEEDS:-2000} seeds"

mutate() { # NAME EXPECTED_CHECK PATTERN FILE OLD NEW [SEED_FACTOR [UNIT_TESTS]]
  # SEED_FACTOR: run this many times the seeds (a rare interleaving needs more to show);
  # UNIT_TESTS: core tests that must fail where the simulation cannot reach the rule through the
  # node's own code (its layers above the core refuse first).
  local name=$1 expected=$2 pattern=$3 file=$4 old=$5 new=$6 factor=${7:-1} units=${8:-}
  if [ -n "${ONLY:-}" ] && ! [[ $name =~ ^($ONLY)$ ]]; then return; fi
  python3 - "$file" "$old" "$new" <<'PY' || { echo "MUTATION $name: pattern not found (update this script)"; status=1; return; }
import sys
p, old, new = sys.argv[1:]
s = open(p).read()
if old not in s:
    sys.exit(1)
open(p, "w").write(s.replace(old, new, 1))
PY
  local seeds=$(( ${SEEDS:-2000} * factor ))
  local out n by_expected failed_units=""
  out=$(simulate "$seeds")
  [ -n "$units" ] && failed_units=$(unit_tests "$units")
  git checkout -q -- "$file"
  n=$(failing_seeds "$out")
  by_expected=$(failing_seeds "$out" "$pattern")
  if [ "$n" -eq 0 ] && [ -n "$failed_units" ]; then
    echo "MUTATION $name: caught by the core's unit tests ($failed_units), not by $seeds seeds:" \
      "the node's own layers refuse before the core's rule is reached"
    return
  fi
  if [ "$n" -eq 0 ]; then
    echo "MUTATION $name: NOT CAUGHT in $seeds seeds (expected: $expected)"
    status=1
    return
  fi
  local margin=""
  [ "$n" -lt "$MIN_MARGIN" ] && margin=" NARROWLY (fewer than $MIN_MARGIN seeds)"
  echo "MUTATION $name: caught by $n of $seeds seeds$margin, $by_expected of them by $expected, e.g.:"
  { echo "$out" | grep -oE 'seed [0-9]+ \([^)]*\) failed at [0-9]+ ms: [^"]{0,200}' | grep -E "$pattern" | sort -u | head -1; } || true
  [ -n "$failed_units" ] && echo "  and by the core's unit tests: $failed_units"
  return 0
}

LOST='not linearizable|lacks committed|is committed|but .* was committed'
mutate no-current-term-commit "a committed entry lost" "$LOST" $R/Leader.java \
  'if (quorumIndex <= oldCommit || node.log.term(quorumIndex) != node.term()) {' 'if (quorumIndex <= oldCommit) {'
mutate no-up-to-date-check "leader completeness" 'lacks committed' $R/RaftNode.java \
  'if (canVote && log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm())) {' 'if (canVote) {'
mutate two-votes-per-term "one leader per term" 'two leaders in term' $R/RaftNode.java 'votedFor == rv.from()' 'true'
mutate read-without-quorum "linearizable reads" 'not linearizable' $R/ReadIndexQueue.java \
  'return rounds[rounds.length - config.quorum()];' 'return lastRoundSent;' 3
mutate read-before-term-commit "linearizable reads" 'not linearizable' $R/Leader.java \
  'boolean committedInTerm = node.log.committed() >= firstIndexOfTerm;' 'boolean committedInTerm = true;'
mutate no-truncate-on-conflict "committed entries never change" "$LOST" $R/RaftLog.java \
  '        truncateFrom(e.index());' '        return lastNew;'
mutate learner-acks-count "a committed entry lost" "$LOST" $R/Leader.java \
  'List<Long> voters = node.cluster().voters();' 'List<Long> voters = node.cluster().members();'
mutate second-change-while-pending "one uncommitted configuration entry" 'configuration entries at' $R/Leader.java \
  'if (node.log.latestConfigIndex() > node.log.committed()) {' 'if (false) {' 1 SingleServerChangeTest
mutate config-only-when-committed "liveness after healing" 'did not recover|configuration' $R/RaftLog.java \
  'Map.Entry<Long, ClusterConfig> last = configs.lastEntry();' \
  'Map.Entry<Long, ClusterConfig> last = configs.floorEntry(committed);'
mutate evict-before-applied "entries applied with their payload" 'BufferUnderflow|not linearizable|state|as empty' $R/RaftLog.java \
  'long evictable = Math.min(applied, stableIndex);' 'long evictable = stableIndex;'

# The node around the core: the driver, the apply loop and the key-value store, as the
# simulation runs them.
mutate ack-before-sync "a committed entry lost after a crash" "$LOST|synced|restarted at term" $N/RaftDriver.java \
  'return leader && (m instanceof' 'return true || (m instanceof'
mutate apply-before-commit "only committed entries are applied" 'reported committed|is committed there|stopped on a failure' $N/RaftDriver.java \
  'applier.enqueue(rd.committedEntries());' 'applier.enqueue(rd.committedEntries()); applier.enqueue(rd.entries());'
mutate answer-before-apply "linearizable reads" 'not linearizable' $N/Applier.java \
  '        } else if (work instanceof Apply a) {' \
  '        } else if (work instanceof Apply a) { appliedIndex = a.entries().get(a.entries().size() - 1).index(); releaseWaiters();'
mutate snapshot-term-at-start "a snapshot's term is its index's" 'took snapshot' $N/Applier.java \
  'Map.Entry<Long, Long> start = termStarts.floorEntry(index);' \
  'Map.Entry<Long, Long> start = termStarts.firstEntry();'
mutate skip-applied-index-write "same state at the same applied index" 'differs|apply once|behind the snapshot|not linearizable' $K/KvStore.java \
  'batch.put(KvSpace.META, APPLIED_INDEX_KEY, encodeLong(index));' '// applied index not written'
# The records a write reads before RocksDB (kv/RecordCache): wrong records change versions,
# create revisions and the history's previous values, which nodes that restarted (with an empty
# cache) or installed a snapshot then disagree on.
mutate cache-keeps-refused-writes "same state at the same applied index" 'differs|not linearizable' $K/KvStore.java \
  '      } catch (KvException e) {
        return reject(index, e);' \
  '      } catch (KvException e) {
        records.written(txn.events());
        return reject(index, e);' 1 RecordCacheTest
mutate cache-kept-over-snapshot "same state at the same applied index" 'differs|not linearizable' $K/KvStore.java \
  '  private void reload() {
    records.clear();' '  private void reload() {' 1 RecordCacheTest
mutate cache-keeps-deleted "same state at the same applied index" 'differs|not linearizable' $K/RecordCache.java \
  '        forget(kv.getKey());' '        // deleted key kept' 1 RecordCacheTest
# The write path around the node: a follower that answers a forwarded write before applying it
# lets its client miss its own write there (etcd's read-your-writes).
C=server/src/main/java/dev/ballot/cluster
mutate answer-before-applied-here "a write is applied where it is answered" 'before applying it' $C/AppliedHere.java \
  '    if (index <= driver.appliedIndex()) {' '    if (true) {'
exit $status
