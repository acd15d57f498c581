package dev.ballot.kv;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.storage.SnapshotDir;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How long one large DeleteRange takes to apply, in one process: a {@link KvStore} on RocksDB
 * alone, without Raft, gRPC or other nodes, loaded with keys like those of {@code etcdctl check
 * perf} (a prefix and random bytes) and random values, then given one DeleteRange over all of them
 * (written in parts, as on a node). Prints one line per run: how long the load and the delete took,
 * and the apply thread's CPU time in the delete. {@code scripts/bench-delete.sh} runs it.
 *
 * <p>Options: {@code --keys N} (250000), {@code --key-bytes N} (256 random bytes after the prefix),
 * {@code --value-bytes N} (1024), {@code --runs N} (3), {@code --pause-ms N} (3000: between the
 * load and the delete, as etcdctl's last put and its delete are apart), {@code --dir PATH} (a new
 * directory under the system's temporary one; each run's database is deleted after it).
 */
public final class RangeDeleteBench {
  static final ByteString PREFIX = ByteString.copyFromUtf8("/bench-delete/");

  /** What one run measured. */
  record Run(
      int keys, double loadSeconds, double deleteSeconds, double deleteCpuSeconds, long deleted) {
    String line(int number) {
      return String.format(
          "run=%d keys=%d load_s=%.2f delete_s=%.2f delete_cpu_s=%.2f deleted=%d",
          number, keys, loadSeconds, deleteSeconds, deleteCpuSeconds, deleted);
    }
  }

  /** The benchmark's settings. */
  record Options(
      int keys, int keyBytes, int valueBytes, int runs, long pauseMs, Path dir, boolean ownDir) {
    static Options parse(String[] args) throws IOException {
      int keys = 250_000;
      int keyBytes = 256;
      int valueBytes = 1024;
      int runs = 3;
      long pauseMs = 3000;
      Path dir = null;
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + args[i] + " needs a value");
        }
        String value = args[i + 1];
        switch (args[i]) {
          case "--keys" -> keys = Integer.parseInt(value);
          case "--key-bytes" -> keyBytes = Integer.parseInt(value);
          case "--value-bytes" -> valueBytes = Integer.parseInt(value);
          case "--runs" -> runs = Integer.parseInt(value);
          case "--pause-ms" -> pauseMs = Long.parseLong(value);
          case "--dir" -> dir = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      if (keys < 1 || keyBytes < 1 || valueBytes < 0 || runs < 1 || pauseMs < 0) {
        throw new IllegalArgumentException(
            "--keys, --key-bytes and --runs must be at least 1, --value-bytes and --pause-ms at"
                + " least 0");
      }
      boolean ownDir = dir == null;
      if (ownDir) {
        dir = Files.createTempDirectory("ballot-bench-delete");
      }
      return new Options(keys, keyBytes, valueBytes, runs, pauseMs, dir, ownDir);
    }
  }

  private RangeDeleteBench() {}

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench-delete: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.out.printf(
        "%d keys (%d bytes after a %d-byte prefix), values of %d bytes, %d runs, in %s%n",
        options.keys(),
        options.keyBytes(),
        PREFIX.size(),
        options.valueBytes(),
        options.runs(),
        options.dir());
    List<Run> runs = new ArrayList<>();
    try {
      for (int i = 1; i <= options.runs(); i++) {
        Run run = run(options, i);
        runs.add(run);
        System.out.println(run.line(i));
      }
    } finally {
      if (options.ownDir()) {
        SnapshotDir.deleteTree(options.dir());
      }
    }
    double[] seconds = runs.stream().mapToDouble(Run::deleteSeconds).sorted().toArray();
    double[] cpu = runs.stream().mapToDouble(Run::deleteCpuSeconds).sorted().toArray();
    System.out.printf(
        "median delete_s=%.2f delete_cpu_s=%.2f; delete_s from %.2f to %.2f%n",
        seconds[seconds.length / 2], cpu[cpu.length / 2], seconds[0], seconds[seconds.length - 1]);
  }

  /** One run in a database of its own under {@code options.dir()}, deleted after it. */
  static Run run(Options options, int number) throws InterruptedException {
    Path dir = options.dir().resolve("run-" + number);
    Random random = new Random(number);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir);
        KvStore kv = new KvStore(storage.db(), storage.kvFamilies())) {
      long index = kv.appliedIndex();
      byte[] key = new byte[options.keyBytes()];
      byte[] value = new byte[options.valueBytes()];
      long loadStart = System.nanoTime();
      for (int i = 0; i < options.keys(); i++) {
        random.nextBytes(key);
        random.nextBytes(value);
        Command put =
            Command.newBuilder()
                .setPut(
                    PutRequest.newBuilder()
                        .setKey(PREFIX.concat(ByteString.copyFrom(key)))
                        .setValue(ByteString.copyFrom(value)))
                .build();
        check(kv.apply(++index, put));
      }
      long loadNanos = System.nanoTime() - loadStart;
      Thread.sleep(options.pauseMs());
      Command delete =
          Command.newBuilder()
              .setDeleteRange(
                  DeleteRangeRequest.newBuilder()
                      .setKey(PREFIX)
                      .setRangeEnd(KeyRanges.prefixEnd(PREFIX)))
              .build();
      long cpuStart = threads.getCurrentThreadCpuTime();
      long deleteStart = System.nanoTime();
      ApplyResult result = check(kv.apply(++index, delete));
      long deleteNanos = System.nanoTime() - deleteStart;
      long cpuNanos = threads.getCurrentThreadCpuTime() - cpuStart;
      return new Run(
          options.keys(),
          loadNanos / 1e9,
          deleteNanos / 1e9,
          cpuNanos / 1e9,
          result.response().getResponseDeleteRange().getDeleted());
    } finally {
      SnapshotDir.deleteTree(dir);
    }
  }

  private static ApplyResult check(ApplyResult result) {
    if (!result.isOk()) {
      throw new IllegalStateException("the store refused a command: " + result.error());
    }
    return result;
  }
}
