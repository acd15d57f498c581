package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.mvcc.KeyValue;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class KvHasherTest {
  private static final KeyValue A =
      KeyValue.newBuilder()
          .setKey(bytes("a"))
          .setValue(bytes("1"))
          .setCreateRevision(2)
          .setModRevision(5)
          .setVersion(3)
          .setLease(0)
          .build();
  private static final KeyValue B =
      KeyValue.newBuilder()
          .setKey(bytes("b"))
          .setValue(bytes("2"))
          .setCreateRevision(3)
          .setModRevision(3)
          .setVersion(1)
          .build();

  @Test
  void sameRecordsGiveTheSameHash() {
    assertThat(hash(A, B)).isEqualTo(hash(A.toBuilder().build(), B.toBuilder().build()));
  }

  @Test
  void noRecordsHashToZero() {
    assertThat(hash()).isZero();
  }

  @Test
  void everyFieldOfARecordChangesTheHash() {
    int original = hash(A, B);
    List<UnaryOperator<KeyValue.Builder>> changes =
        List.of(
            kv -> kv.setKey(bytes("a2")),
            kv -> kv.setValue(bytes("10")),
            kv -> kv.setValue(ByteString.EMPTY),
            kv -> kv.setCreateRevision(4),
            kv -> kv.setModRevision(6),
            kv -> kv.setVersion(4),
            kv -> kv.setLease(7));
    for (UnaryOperator<KeyValue.Builder> change : changes) {
      KeyValue changed = change.apply(A.toBuilder()).build();
      assertThat(hash(changed, B)).as("A changed to %s", changed).isNotEqualTo(original);
    }
  }

  @Test
  void aMissingOrExtraRecordChangesTheHash() {
    assertThat(hash(A)).isNotEqualTo(hash(A, B));
    assertThat(hash(B)).isNotEqualTo(hash(A, B));
  }

  @Test
  void bytesMovedBetweenKeyAndValueChangeTheHash() {
    KeyValue abc = A.toBuilder().setKey(bytes("ab")).setValue(bytes("c")).build();
    KeyValue abc2 = A.toBuilder().setKey(bytes("a")).setValue(bytes("bc")).build();
    assertThat(hash(abc)).isNotEqualTo(hash(abc2));
  }

  private static int hash(KeyValue... records) {
    KvHasher hasher = new KvHasher();
    for (KeyValue kv : records) {
      hasher.add(kv);
    }
    return hasher.value();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, UTF_8);
  }
}
