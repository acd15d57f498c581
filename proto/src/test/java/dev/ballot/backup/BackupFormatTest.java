package dev.ballot.backup;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupFormatTest {
  private static final BackupHeader HEADER =
      new BackupHeader(BackupFormat.VERSION, 0xfeedL, 42, 1234);

  @TempDir Path dir;

  @Test
  void pairsAndHeaderSurviveARoundTrip() throws IOException {
    Path file = write(3);

    List<String> pairs = new ArrayList<>();
    BackupReader.Summary summary =
        BackupReader.read(
            file, (k, v) -> pairs.add(new String(k, UTF_8) + "=" + new String(v, UTF_8)));

    assertThat(summary.header()).isEqualTo(HEADER);
    assertThat(summary.pairCount()).isEqualTo(3);
    assertThat(pairs).containsExactly("key-000=value-0", "key-001=value-1", "key-002=value-2");
  }

  @Test
  void leasesFollowThePairsAndSurviveARoundTrip() throws IOException {
    Path file = write(2, 7, -5);
    List<String> seen = new ArrayList<>();

    BackupReader.Summary summary =
        BackupReader.read(
            file,
            new BackupReader.PairConsumer() {
              @Override
              public void accept(byte[] key, byte[] value) {
                seen.add(new String(key, UTF_8));
              }

              @Override
              public void lease(long id, long ttlSeconds) {
                seen.add("lease " + id + " ttl " + ttlSeconds);
              }
            });

    assertThat(summary.pairCount()).isEqualTo(2);
    assertThat(summary.leaseCount()).isEqualTo(2);
    // ids in unsigned order: -5 is 0xff..fb
    assertThat(seen).containsExactly("key-000", "key-001", "lease 7 ttl 8", "lease -5 ttl 4");
  }

  @Test
  void aVersion1FileWithoutLeasesIsStillRead() throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(body);
    out.write(BackupFormat.MAGIC);
    out.writeInt(1);
    out.writeLong(0xfeedL);
    out.writeLong(42);
    out.writeLong(1234);
    out.writeByte(1);
    out.writeInt(1);
    out.write('k');
    out.writeInt(1);
    out.write('v');
    out.writeByte(0);
    out.writeLong(1);
    out.write(new byte[512 - body.size() % 512]);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(body.toByteArray());
    out.write(digest);
    Path file = Files.write(dir.resolve("v1"), body.toByteArray());
    List<String> pairs = new ArrayList<>();

    BackupReader.Summary summary =
        BackupReader.read(file, (k, v) -> pairs.add(new String(k, UTF_8)));

    assertThat(summary.header().formatVersion()).isEqualTo(1);
    assertThat(summary.leaseCount()).isZero();
    assertThat(pairs).containsExactly("k");
  }

  @Test
  void writerRefusesAPairAfterALeaseAndLeasesOutOfOrder() throws IOException {
    BackupWriter writer = new BackupWriter(new ByteArrayOutputStream(), HEADER);
    writer.lease(5, 10);

    assertThatThrownBy(() -> writer.add("a".getBytes(UTF_8), new byte[0]))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> writer.lease(4, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> writer.lease(6, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anEmptyStoreIsAValidBackup() throws IOException {
    assertThat(BackupReader.verify(write(0)).pairCount()).isZero();
  }

  @Test
  void lengthIs32MoreThanAMultipleOf512AsEtcdctlRequires() throws IOException {
    for (int pairs = 0; pairs < 40; pairs++) {
      assertThat(Files.size(write(pairs)) % 512).as("%d pairs", pairs).isEqualTo(32);
    }
  }

  @Test
  void trailerIsTheSha256OfEverythingBeforeIt() throws Exception {
    byte[] bytes = Files.readAllBytes(write(2));
    byte[] body = Arrays.copyOf(bytes, bytes.length - 32);
    byte[] trailer = Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length);

    assertThat(MessageDigest.getInstance("SHA-256").digest(body)).isEqualTo(trailer);
  }

  @Test
  void everyFlippedByteIsDetectedBeforeAnyPairIsHandedOut() throws IOException {
    byte[] good = Files.readAllBytes(write(2, 3));
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x40;
      Path file = Files.write(dir.resolve("flipped"), bad);
      List<byte[]> seen = new ArrayList<>();

      assertThatThrownBy(() -> BackupReader.read(file, (k, v) -> seen.add(k)))
          .as("byte %d flipped", i)
          .isInstanceOf(BackupFormatException.class);
      assertThat(seen).isEmpty();
    }
  }

  @Test
  void truncatedAndExtendedFilesAreRejected() throws IOException {
    byte[] good = Files.readAllBytes(write(2));
    Path cut = Files.write(dir.resolve("cut"), Arrays.copyOf(good, good.length - 1));
    Path longer = Files.write(dir.resolve("longer"), Arrays.copyOf(good, good.length + 1));

    assertThatThrownBy(() -> BackupReader.verify(cut)).isInstanceOf(BackupFormatException.class);
    assertThatThrownBy(() -> BackupReader.verify(longer)).isInstanceOf(BackupFormatException.class);
  }

  @Test
  void wrongMagicIsNamed() throws IOException {
    byte[] bytes = Files.readAllBytes(write(1));
    System.arraycopy("SQLITE3\0".getBytes(UTF_8), 0, bytes, 0, 8);

    assertThatThrownBy(() -> BackupReader.verify(Files.write(dir.resolve("m"), resealed(bytes))))
        .isInstanceOf(BackupFormatException.class)
        .hasMessageContaining("not a Ballot backup (wrong magic)");
  }

  @Test
  void unknownFormatVersionIsNamedEvenWithAValidChecksum() throws IOException {
    byte[] bytes = Files.readAllBytes(write(1));
    ByteBuffer.wrap(bytes).putInt(8, 3);

    assertThatThrownBy(() -> BackupReader.verify(Files.write(dir.resolve("v"), resealed(bytes))))
        .isInstanceOf(BackupFormatException.class)
        .hasMessageContaining("format version 3; this build reads versions 1 to 2");
  }

  @Test
  void writerRefusesKeysOutOfOrder() throws IOException {
    BackupWriter writer = new BackupWriter(new ByteArrayOutputStream(), HEADER);
    writer.add("b".getBytes(UTF_8), new byte[0]);

    assertThatThrownBy(() -> writer.add("a".getBytes(UTF_8), new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A backup of {@code pairs} pairs and a lease of TTL id + 1 per id. */
  private Path write(int pairs, long... leaseIds) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BackupWriter writer = new BackupWriter(bytes, HEADER);
    for (int i = 0; i < pairs; i++) {
      writer.add(String.format("key-%03d", i).getBytes(UTF_8), ("value-" + i).getBytes(UTF_8));
    }
    for (long id : leaseIds) {
      writer.lease(id, Math.abs(id + 1));
    }
    assertThat(writer.finish()).isEqualTo(pairs);
    return Files.write(dir.resolve("backup-" + pairs + "-" + leaseIds.length), bytes.toByteArray());
  }

  /** Recomputes the trailer, so that only the edited field is wrong. */
  private static byte[] resealed(byte[] bytes) throws IOException {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(bytes, bytes.length - 32));
      System.arraycopy(digest, 0, bytes, bytes.length - 32, 32);
      return bytes;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }
}
