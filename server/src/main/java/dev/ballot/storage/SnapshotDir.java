package dev.ballot.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.rocksdb.Checkpoint;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot folder, {@code DATA/snapshots}: local snapshots {@code <index>-<term>/} (a RocksDB
 * checkpoint, i.e. hard links to the live SST files, plus {@code snapshot.info}), and snapshots
 * received from a leader, staged as {@code incoming-<index>-<term>/}. A folder gets its final name
 * by an atomic rename once complete, so a crash leaves at most a {@code .tmp} folder, removed on
 * open. The newest {@link #KEEP} local snapshots are kept.
 *
 * <p>Threads: the apply thread takes snapshots; sender threads {@link #acquireNewest} and {@link
 * #release}; a snapshot being sent is not deleted until released.
 */
public final class SnapshotDir {
  private static final Logger log = LoggerFactory.getLogger(SnapshotDir.class);

  /** Local snapshots kept; older ones are deleted after a new one is taken. */
  public static final int KEEP = 2;

  static final String INFO_FILE = "snapshot.info";
  private static final Pattern LOCAL = Pattern.compile("(\\d+)-(\\d+)");
  private static final Pattern STAGED = Pattern.compile("incoming-(\\d+)-(\\d+)");

  /** A complete snapshot on disk. */
  public record Local(SnapshotInfo info, Path path) {
    public long index() {
      return info.meta().index();
    }
  }

  private final Path dir;
  private final Set<Path> inUse = new HashSet<>();

  private SnapshotDir(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens (creating) the folder, removes what a crash left half-written and verifies every local
   * snapshot ({@link #verify}).
   *
   * @throws StorageCorruptionException naming the snapshot and the file that is damaged
   */
  public static SnapshotDir open(Path dir) {
    try {
      Files.createDirectories(dir);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path p : files.toList()) {
          if (p.getFileName().toString().endsWith(".tmp")) {
            deleteTree(p);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open snapshot folder " + dir, e);
    }
    SnapshotDir snapshots = new SnapshotDir(dir);
    snapshots.verify();
    return snapshots;
  }

  /**
   * Checks each local snapshot: its info's checksum, its files against {@code snapshot.files}
   * (present, same size, same CRC32C) and RocksDB's block checksums of its SST files. A snapshot
   * taken before the manifest existed gets the last check only. Reads every snapshot once.
   */
  void verify() {
    for (Path p : children()) {
      Matcher m = LOCAL.matcher(p.getFileName().toString());
      if (!m.matches() || !Files.isDirectory(p)) {
        continue;
      }
      String which = "snapshot at index " + m.group(1) + " in " + p;
      try {
        SnapshotInfo.decode(Files.readAllBytes(p.resolve(INFO_FILE)));
        Path manifest = p.resolve(SnapshotManifest.FILE);
        if (Files.exists(manifest)) {
          SnapshotManifest.decode(Files.readAllBytes(manifest), manifest).verify(p);
        } else {
          SnapshotManifest.verifyBlockChecksums(p);
        }
      } catch (StorageCorruptionException e) {
        throw new StorageCorruptionException(which + ": " + e.getMessage(), e);
      } catch (IOException | UncheckedIOException e) {
        throw new StorageCorruptionException(which + " is unreadable: " + e.getMessage(), e);
      }
    }
  }

  public Path path() {
    return dir;
  }

  /**
   * Takes a checkpoint of {@code db}, whose state machine must be exactly at {@code info}'s index
   * and stay there meanwhile (a snapshot install, on the apply thread). Flushes the memtables, so
   * the state up to the index is durable even though applies are not synced. Then deletes older
   * snapshots.
   */
  public Local take(RocksDB db, SnapshotInfo info) {
    Path target = dir.resolve(name(info));
    if (Files.isDirectory(target)) {
      return new Local(readInfo(target), target);
    }
    long startNanos = System.nanoTime();
    Path tmp = checkpoint(db, name(info) + ".tmp", info.meta().index());
    return publish(tmp, info, startNanos);
  }

  /**
   * Takes a checkpoint of {@code db} while its state machine goes on applying: the checkpoint holds
   * the state as of the flush it starts, at whatever index that is, and {@code describe} reads what
   * it holds from the checkpoint itself. The flush makes that state durable in {@code db} too. Then
   * deletes older snapshots. Not for two threads at once.
   */
  public Local takeLive(RocksDB db, Function<Path, SnapshotInfo> describe) {
    long startNanos = System.nanoTime();
    Path tmp = checkpoint(db, "live.tmp", -1);
    SnapshotInfo info;
    try {
      info = describe.apply(tmp);
    } catch (RuntimeException e) {
      deleteTree(tmp);
      throw e;
    }
    Path target = dir.resolve(name(info));
    if (Files.isDirectory(target)) { // nothing was applied since that one
      deleteTree(tmp);
      return new Local(readInfo(target), target);
    }
    return publish(tmp, info, startNanos);
  }

  private static String name(SnapshotInfo info) {
    return info.meta().index() + "-" + info.meta().term();
  }

  /** A fresh checkpoint of {@code db} in {@code tmpName} (replacing what a crash left there). */
  private Path checkpoint(RocksDB db, String tmpName, long index) {
    Path tmp = dir.resolve(tmpName);
    try {
      deleteTree(tmp);
      try (Checkpoint checkpoint = Checkpoint.create(db)) {
        checkpoint.createCheckpoint(tmp.toString());
      }
      return tmp;
    } catch (RocksDBException e) {
      throw failed(index, new IOException(e));
    }
  }

  /** Records what {@code tmp} holds, gives it its final name and deletes older snapshots. */
  private Local publish(Path tmp, SnapshotInfo info, long startNanos) {
    Path target = dir.resolve(name(info));
    try {
      writeSynced(tmp.resolve(SnapshotManifest.FILE), SnapshotManifest.of(tmp).encode());
      writeSynced(tmp.resolve(INFO_FILE), info.encode());
      CrashPoints.hit(CrashPoints.TAKE_AFTER_CHECKPOINT);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      syncDir(dir);
    } catch (IOException e) {
      throw failed(info.meta().index(), e);
    }
    log.info(
        "snapshot taken index={} term={} revision={} took_ms={} path={}",
        info.meta().index(),
        info.meta().term(),
        info.revision(),
        (System.nanoTime() - startNanos) / 1_000_000,
        target);
    retain();
    return new Local(info, target);
  }

  private UncheckedIOException failed(long index, IOException e) {
    return new UncheckedIOException(
        "snapshot" + (index < 0 ? "" : " at index " + index) + " failed in " + dir, e);
  }

  /** The complete local snapshots, newest first. */
  public synchronized List<Local> list() {
    List<Local> out = new ArrayList<>();
    for (Path p : children()) {
      Matcher m = LOCAL.matcher(p.getFileName().toString());
      if (m.matches() && Files.isDirectory(p)) {
        try {
          out.add(new Local(readInfo(p), p));
        } catch (RuntimeException e) {
          log.warn("ignoring unreadable snapshot path={} error={}", p, e.toString());
        }
      }
    }
    out.sort(Comparator.comparingLong(Local::index).reversed());
    return out;
  }

  /** The newest local snapshot, kept on disk until {@link #release}d. */
  public synchronized Optional<Local> acquireNewest() {
    List<Local> all = list();
    if (all.isEmpty()) {
      return Optional.empty();
    }
    inUse.add(all.get(0).path());
    return Optional.of(all.get(0));
  }

  public synchronized void release(Local snapshot) {
    inUse.remove(snapshot.path());
  }

  /** Deletes local snapshots beyond the newest {@link #KEEP}, except those being sent. */
  public synchronized void retain() {
    List<Local> all = list();
    for (int i = KEEP; i < all.size(); i++) {
      Path p = all.get(i).path();
      if (!inUse.contains(p)) {
        deleteTree(p);
        log.info("snapshot deleted index={} path={}", all.get(i).index(), p);
      }
    }
  }

  // ------------------------------------------------------------------ staged (received)

  /** A fresh, unique folder to receive a snapshot into; renamed by {@link #publishStaged}. */
  public Path newIncoming(long index) {
    return dir.resolve("incoming-" + index + "-" + System.nanoTime() + ".tmp");
  }

  /** Where the verified snapshot received for (index, term) is staged. */
  public Path staged(long index, long term) {
    return dir.resolve("incoming-" + index + "-" + term);
  }

  /**
   * Gives a complete, verified incoming folder its staged name. If that snapshot is already staged
   * (a retried transfer), the staged copy stays (it may be installing) and {@code tmp} is deleted.
   */
  public synchronized Path publishStaged(Path tmp, long index, long term) throws IOException {
    Path target = staged(index, term);
    if (Files.isDirectory(target)) {
      deleteTree(tmp);
      return target;
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    syncDir(dir);
    return target;
  }

  /** Deletes staged snapshots at or below {@code index} except {@code keep} (may be null). */
  public synchronized void deleteStaged(long index, Path keep) {
    for (Path p : children()) {
      Matcher m = STAGED.matcher(p.getFileName().toString());
      if (m.matches() && Long.parseLong(m.group(1)) <= index && !p.equals(keep)) {
        deleteTree(p);
      }
    }
  }

  static SnapshotInfo readInfo(Path snapshot) {
    try {
      return SnapshotInfo.decode(Files.readAllBytes(snapshot.resolve(INFO_FILE)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + snapshot.resolve(INFO_FILE), e);
    }
  }

  static void writeSynced(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  static void syncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private List<Path> children() {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** Deletes {@code root} and everything under it, if it exists. */
  public static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
