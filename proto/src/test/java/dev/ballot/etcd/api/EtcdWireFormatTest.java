package dev.ballot.etcd.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ballot.kv.proto.Command;
import org.junit.jupiter.api.Test;

/** Pins a few encodings byte for byte, as etcd's own definitions produce them. */
class EtcdWireFormatTest {

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void putRequestEncodesLikeEtcd() {
    PutRequest put =
        PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("a"))
            .setValue(ByteString.copyFromUtf8("b"))
            .setPrevKv(true)
            .build();

    // key=1 (bytes), value=2 (bytes), prev_kv=4 (varint).
    assertThat(put.toByteArray()).isEqualTo(bytes(0x0a, 1, 'a', 0x12, 1, 'b', 0x20, 1));
  }

  @Test
  void compareRangeEndUsesFieldSixtyFour() {
    Compare compare = Compare.newBuilder().setRangeEnd(ByteString.copyFromUtf8("z")).build();

    // Tag (64 << 3 | 2) = 514 is the two-byte varint 0x82 0x04.
    assertThat(compare.toByteArray()).isEqualTo(bytes(0x82, 0x04, 1, 'z'));
  }

  @Test
  void commandRoundTripsATxn() throws Exception {
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(
                Compare.newBuilder()
                    .setKey(ByteString.copyFromUtf8("k"))
                    .setTarget(Compare.CompareTarget.MOD)
                    .setModRevision(7))
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))))
            .build();
    Command command = Command.newBuilder().setTxn(txn).build();

    assertThat(Command.parseFrom(command.toByteArray()).getTxn()).isEqualTo(txn);
  }
}
