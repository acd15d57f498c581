package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link KvStore} relies on from a {@link KvEngine}, checked on every engine: one subclass per
 * engine.
 */
abstract class KvEngineContractTest {
  private static final byte[] NO_KEY = new byte[0];

  @TempDir Path dir;
  private KvStoreDisk disk;
  KvEngine engine;
  private long index;

  /** Where the engine under test keeps its data. */
  abstract KvStoreDisk newDisk(Path dir);

  @BeforeEach
  void openEngine() {
    disk = newDisk(dir);
    engine = disk.open();
  }

  @AfterEach
  void closeEngine() {
    engine.close();
    disk.close();
  }

  @Test
  void getReadsTheCommittedValueOfItsOwnSpace() {
    write(KvSpace.DATA, "a", "data");
    write(KvSpace.META, "b", "meta");

    assertThat(text(engine.live().get(KvSpace.DATA, b("a")))).isEqualTo("data");
    assertThat(engine.live().get(KvSpace.META, b("a"))).isNull();
    assertThat(text(engine.live().get(KvSpace.META, b("b")))).isEqualTo("meta");
    assertThat(engine.live().get(KvSpace.DATA, b("b"))).isNull();
  }

  @Test
  void scanVisitsTheKeysOfTheRangeInUnsignedByteOrder() {
    byte[] high = {(byte) 0x80};
    byte[] highest = {(byte) 0xff};
    byte[] zero = {0};
    try (KvBatch batch = engine.newBatch()) {
      for (byte[] key : List.of(highest, b("b"), zero, b("ab"), high, b("a"))) {
        batch.put(KvSpace.DATA, key, key);
      }
      batch.put(KvSpace.META, b("aa"), b("other space"));
      engine.write(batch, ++index);
    }

    try (KvView view = engine.snapshot()) {
      assertThat(scan(view, NO_KEY, null))
          .containsExactly(zero, b("a"), b("ab"), b("b"), high, highest);
      assertThat(scan(view, b("a"), b("b"))).containsExactly(b("a"), b("ab"));
      assertThat(scan(view, b("aa"), high)).containsExactly(b("ab"), b("b"));
      assertThat(scan(view, b("b"), b("b"))).isEmpty();
      assertThat(scan(view, b("c"), b("a"))).isEmpty();
      assertThat(scan(view, high, null)).containsExactly(high, highest);
    }
  }

  @Test
  void spacesKeptInTheMetaFamilySeeOnlyTheirOwnKeys() {
    byte[] highest = {(byte) 0xef, (byte) 0xff}; // metadata keys start below 0xf0
    try (KvBatch batch = engine.newBatch()) {
      for (KvSpace space : KvSpace.values()) {
        batch.put(space, b("k"), b(space.name()));
        batch.put(space, highest, b(space.name()));
        batch.put(space, NO_KEY, b(space.name()));
      }
      engine.write(batch, ++index);
      assertThatThrownBy(() -> batch.put(KvSpace.META, new byte[] {(byte) 0xf1}, b("x")))
          .isInstanceOf(IllegalArgumentException.class);
    }
    try (KvBatch batch = engine.newBatch()) {
      batch.delete(KvSpace.EVENTS, b("k"));
      for (KvSpace space : KvSpace.values()) {
        try (KvView view = batch.over(engine.live())) {
          assertThat(text(view.get(space, highest))).isEqualTo(space.name());
          assertThat(scan(view, space, NO_KEY, null))
              .hasSize(space == KvSpace.EVENTS ? 2 : 3)
              .allSatisfy(key -> assertThat(text(view.get(space, key))).isEqualTo(space.name()));
        }
      }
      engine.write(batch, ++index);
    }
    for (KvSpace space : KvSpace.values()) {
      try (KvView view = engine.snapshot()) {
        assertThat(scan(view, space, NO_KEY, null))
            .containsExactly(
                space == KvSpace.EVENTS
                    ? new byte[][] {NO_KEY, highest}
                    : new byte[][] {NO_KEY, b("k"), highest});
        assertThat(text(engine.live().get(space, NO_KEY))).isEqualTo(space.name());
      }
    }
  }

  @Test
  void scanGivesEachKeysValueAndStopsWhenTheVisitorSaysSo() {
    write(KvSpace.DATA, "a", "1");
    write(KvSpace.DATA, "b", "2");
    write(KvSpace.DATA, "c", "3");
    List<String> seen = new ArrayList<>();

    engine
        .live()
        .scan(
            KvSpace.DATA,
            NO_KEY,
            null,
            (key, position) -> {
              seen.add(text(key) + "=" + text(position.value()));
              return seen.size() < 2;
            });

    assertThat(seen).containsExactly("a=1", "b=2");
  }

  @Test
  void aBatchReadsItsOwnWritesOnTopOfTheCommittedState() {
    write(KvSpace.DATA, "a", "1");
    write(KvSpace.DATA, "b", "2");
    write(KvSpace.DATA, "c", "3");

    try (KvBatch batch = engine.newBatch()) {
      KvView mine = batch.over(engine.live());
      batch.put(KvSpace.DATA, b("b"), b("20"));
      batch.delete(KvSpace.DATA, b("c"));
      batch.put(KvSpace.DATA, b("d"), b("4"));
      batch.put(KvSpace.DATA, b("e"), b("5"));
      batch.delete(KvSpace.DATA, b("e"));
      batch.delete(KvSpace.DATA, b("a"));
      batch.put(KvSpace.DATA, b("a"), b("10"));

      assertThat(text(mine.get(KvSpace.DATA, b("a")))).isEqualTo("10");
      assertThat(text(mine.get(KvSpace.DATA, b("b")))).isEqualTo("20");
      assertThat(mine.get(KvSpace.DATA, b("c"))).isNull();
      assertThat(text(mine.get(KvSpace.DATA, b("d")))).isEqualTo("4");
      assertThat(mine.get(KvSpace.DATA, b("e"))).isNull();
      assertThat(entries(mine, NO_KEY, null)).containsExactly("a=10", "b=20", "d=4");
      assertThat(entries(mine, b("b"), b("d"))).containsExactly("b=20");

      // Nothing is committed before the write.
      assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("a=1", "b=2", "c=3");
    }
  }

  @Test
  void readsBetweenABatchsWritesSeeThoseBeforeThemAndTheWriteKeepsAll() {
    write(KvSpace.DATA, "a", "1");
    write(KvSpace.EVENTS, "e", "old");

    try (KvBatch batch = engine.newBatch()) {
      KvView mine = batch.over(engine.live());
      // Reads before any write, then writes in two spaces, a read, and more writes.
      assertThat(text(mine.get(KvSpace.DATA, b("a")))).isEqualTo("1");
      assertThat(entries(mine, NO_KEY, null)).containsExactly("a=1");
      batch.put(KvSpace.DATA, b("b"), b("2"));
      batch.put(KvSpace.EVENTS, b("e"), b("new"));
      batch.delete(KvSpace.DATA, b("a"));

      assertThat(mine.get(KvSpace.DATA, b("a"))).isNull();
      assertThat(text(mine.get(KvSpace.EVENTS, b("e")))).isEqualTo("new");
      assertThat(mine.get(KvSpace.META, b("e"))).isNull();

      batch.put(KvSpace.DATA, b("c"), b("3"));
      batch.put(KvSpace.META, b("m"), b("9"));

      assertThat(entries(mine, NO_KEY, null)).containsExactly("b=2", "c=3");
      assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("a=1");
      engine.write(batch, ++index);
    }

    assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("b=2", "c=3");
    assertThat(text(engine.live().get(KvSpace.EVENTS, b("e")))).isEqualTo("new");
    assertThat(text(engine.live().get(KvSpace.META, b("m")))).isEqualTo("9");
  }

  @Test
  void aBatchNeverReadThroughIsWrittenWhole() {
    write(KvSpace.DATA, "a", "1");
    try (KvBatch batch = engine.newBatch()) {
      batch.over(engine.live()); // a view that is never read
      batch.delete(KvSpace.DATA, b("a"));
      batch.put(KvSpace.DATA, b("b"), b("2"));
      batch.put(KvSpace.LEASES, b("l"), b("5"));
      engine.write(batch, ++index);
    }

    assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("b=2");
    assertThat(text(engine.live().get(KvSpace.LEASES, b("l")))).isEqualTo("5");
  }

  @Test
  void aBatchWrittenWithoutReadsKeepsTheLastWriteOfEachKey() {
    write(KvSpace.DATA, "a", "1");
    write(KvSpace.DATA, "b", "2");
    try (KvBatch batch = engine.newBatch()) {
      batch.put(KvSpace.DATA, b("a"), b("x"));
      batch.delete(KvSpace.DATA, b("a"));
      batch.put(KvSpace.DATA, b("a"), b("y"));
      batch.delete(KvSpace.DATA, b("b"));
      batch.put(KvSpace.DATA, b("c"), b("z"));
      batch.delete(KvSpace.DATA, b("c"));
      engine.write(batch, ++index);
    }

    assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("a=y");
  }

  @Test
  void aLargeBatchIsReadAndWrittenWhole() {
    byte[] value = new byte[100_000];
    Arrays.fill(value, (byte) 'v');
    try (KvBatch batch = engine.newBatch()) {
      KvView mine = batch.over(engine.live());
      for (int i = 0; i < 40; i++) { // 4 MB: past what a batch keeps before indexing
        batch.put(KvSpace.DATA, b("k" + (100 + i)), value);
      }
      batch.delete(KvSpace.DATA, b("k100"));
      batch.put(KvSpace.EVENTS, b("e"), value);

      assertThat(mine.get(KvSpace.DATA, b("k100"))).isNull();
      assertThat(mine.get(KvSpace.DATA, b("k139"))).isEqualTo(value);
      engine.write(batch, ++index);
    }

    assertThat(scan(engine.live(), NO_KEY, null)).hasSize(39);
    assertThat(engine.live().get(KvSpace.DATA, b("k120"))).isEqualTo(value);
    assertThat(engine.live().get(KvSpace.EVENTS, b("e"))).isEqualTo(value);
  }

  @Test
  void aPutWithoutAValueIsRefused() {
    try (KvBatch batch = engine.newBatch()) {
      assertThatThrownBy(() -> batch.put(KvSpace.DATA, b("a"), null))
          .isInstanceOf(NullPointerException.class);
    }
  }

  @Test
  void aBatchOverASnapshotDoesNotSeeLaterCommits() {
    write(KvSpace.DATA, "a", "1");
    try (KvView before = engine.snapshot();
        KvBatch batch = engine.newBatch()) {
      KvView mine = batch.over(before);
      batch.put(KvSpace.DATA, b("b"), b("2"));
      write(KvSpace.DATA, "c", "3");

      assertThat(entries(mine, NO_KEY, null)).containsExactly("a=1", "b=2");
      assertThat(mine.get(KvSpace.DATA, b("c"))).isNull();
    }
  }

  @Test
  void aWrittenBatchIsVisibleWhole() {
    try (KvBatch batch = engine.newBatch()) {
      batch.put(KvSpace.DATA, b("a"), b("1"));
      batch.put(KvSpace.DATA, b("b"), b("2"));
      batch.put(KvSpace.META, b("applied"), b("7"));
      engine.write(batch, ++index);
    }
    try (KvBatch batch = engine.newBatch()) {
      batch.delete(KvSpace.DATA, b("a"));
      batch.put(KvSpace.META, b("applied"), b("8"));
      engine.write(batch, ++index);
    }

    try (KvView view = engine.snapshot()) {
      assertThat(entries(view, NO_KEY, null)).containsExactly("b=2");
      assertThat(text(view.get(KvSpace.META, b("applied")))).isEqualTo("8");
    }
    assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("b=2");
  }

  @Test
  void aSnapshotIsUnaffectedByLaterWrites() {
    write(KvSpace.DATA, "a", "1");
    write(KvSpace.DATA, "b", "2");
    try (KvView before = engine.snapshot()) {
      write(KvSpace.DATA, "a", "changed");
      delete(KvSpace.DATA, "b");
      write(KvSpace.DATA, "c", "new");

      assertThat(text(before.get(KvSpace.DATA, b("a")))).isEqualTo("1");
      assertThat(text(before.get(KvSpace.DATA, b("b")))).isEqualTo("2");
      assertThat(before.get(KvSpace.DATA, b("c"))).isNull();
      assertThat(entries(before, NO_KEY, null)).containsExactly("a=1", "b=2");
      assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("a=changed", "c=new");
    }
  }

  @Test
  void writtenDataSurvivesACleanRestart() {
    write(KvSpace.DATA, "a", "1");
    write(KvSpace.META, "m", "2");

    closeEngine();
    engine = disk.open();

    assertThat(entries(engine.live(), NO_KEY, null)).containsExactly("a=1");
    assertThat(text(engine.live().get(KvSpace.META, b("m")))).isEqualTo("2");
  }

  void write(KvSpace space, String key, String value) {
    try (KvBatch batch = engine.newBatch()) {
      batch.put(space, b(key), b(value));
      engine.write(batch, ++index);
    }
  }

  void delete(KvSpace space, String key) {
    try (KvBatch batch = engine.newBatch()) {
      batch.delete(space, b(key));
      engine.write(batch, ++index);
    }
  }

  static List<byte[]> scan(KvView view, byte[] from, byte[] to) {
    return scan(view, KvSpace.DATA, from, to);
  }

  static List<byte[]> scan(KvView view, KvSpace space, byte[] from, byte[] to) {
    List<byte[]> keys = new ArrayList<>();
    view.scan(
        space,
        from,
        to,
        (key, position) -> {
          keys.add(key);
          return true;
        });
    return keys;
  }

  /** The data space's {@code key=value} pairs of {@code [from, to)}, in scan order. */
  static List<String> entries(KvView view, byte[] from, byte[] to) {
    List<String> out = new ArrayList<>();
    view.scan(
        KvSpace.DATA,
        from,
        to,
        (key, position) -> {
          out.add(text(key) + "=" + text(position.value()));
          return true;
        });
    return out;
  }

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, UTF_8);
  }
}
