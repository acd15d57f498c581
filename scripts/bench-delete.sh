#!/usr/bin/env bash
# Times one large DeleteRange in one process: a key-value store on RocksDB alone (no Raft, no
# gRPC, no other node) loaded with keys like etcdctl check perf's, then one DeleteRange over all of
# them. Prints one line per run (load and delete time, the apply thread's CPU in the delete).
#
#   scripts/bench-delete.sh                          # 250,000 keys, 1 KiB values, 3 runs
#   scripts/bench-delete.sh --keys 100000 --value-bytes 256 --runs 5
#   scripts/bench-delete.sh --dir /mnt/fast/tmp      # where each run's database lives
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
# shellcheck source=lib/cluster-common.sh
. "$ROOT/scripts/lib/cluster-common.sh"

case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
esac

JAR="$ROOT/server/target/kvserver.jar"
TEST_CLASSES="$ROOT/server/target/test-classes"
if [ ! -f "$JAR" ] || [ ! -f "$TEST_CLASSES/dev/ballot/kv/RangeDeleteBench.class" ]; then
  echo "building the server and its test classes (mvn -B -q -DskipTests package -pl server -am) ..."
  mvn -B -q -DskipTests package -pl server -am
fi
# The node's JVM options (bin/kvserver), so that the store runs as it does in a node.
jvm_options="$(kvserver_java_opts)" || exit 1
# shellcheck disable=SC2086
exec java $jvm_options -cp "$TEST_CLASSES:$JAR" dev.ballot.kv.RangeDeleteBench "$@"
