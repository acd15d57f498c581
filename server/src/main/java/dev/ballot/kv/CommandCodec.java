package dev.ballot.kv;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.kv.proto.Command;

/**
 * The one way a key-value command is read back from its log bytes: before proposing (so that what
 * is proposed is what every node can decode) and when applying.
 *
 * <p>Protobuf refuses messages nested deeper than its recursion limit (100 by default). A txn adds
 * two levels per nesting, and the log's {@link Command} one more, so the limit here is set well
 * above anything the API accepts ({@link KvRequests#MAX_TXN_DEPTH} txn levels) and above what any
 * earlier version could have committed (gRPC's own parser admits at most 100 levels per request).
 * It must never be lowered: entries already committed have to decode on every node, forever.
 */
public final class CommandCodec {
  /** Message nesting levels a command may have in the log. */
  static final int RECURSION_LIMIT = 256;

  private CommandCodec() {}

  /**
   * Decodes a command from the log.
   *
   * @throws KvException {@link KvError#MALFORMED_REQUEST} if the bytes are not a command
   */
  public static Command decode(byte[] bytes) throws KvException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setRecursionLimit(RECURSION_LIMIT);
    try {
      Command command = Command.parser().parseFrom(in);
      in.checkLastTagWas(0);
      return command;
    } catch (InvalidProtocolBufferException e) {
      throw new KvException(KvError.MALFORMED_REQUEST);
    }
  }
}
