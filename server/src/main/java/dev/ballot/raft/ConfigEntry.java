package dev.ballot.raft;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The payload of a {@link EntryType#CONFIG} entry: the whole configuration that takes effect, and
 * an opaque context the core carries but never reads (the server puts member addresses there).
 *
 * <p>Layout: a version byte (1), the voter count and ids, the learner count and ids (all unsigned
 * varints), then the context bytes to the end.
 */
public record ConfigEntry(ClusterConfig config, byte[] context) {
  private static final int VERSION = 1;

  public ConfigEntry {
    context = context == null ? new byte[0] : context;
  }

  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(VERSION);
    writeIds(out, config.voters());
    writeIds(out, config.learners());
    out.writeBytes(context);
    return out.toByteArray();
  }

  /**
   * Reads a CONFIG entry's payload.
   *
   * @throws IllegalArgumentException if the bytes are not a configuration this version can read
   */
  public static ConfigEntry decode(byte[] data) {
    int[] pos = {0};
    if (data.length == 0 || data[0] != VERSION) {
      throw new IllegalArgumentException("unknown configuration entry version");
    }
    pos[0] = 1;
    List<Long> voters = readIds(data, pos);
    List<Long> learners = readIds(data, pos);
    return new ConfigEntry(
        new ClusterConfig(voters, learners), Arrays.copyOfRange(data, pos[0], data.length));
  }

  private static void writeIds(ByteArrayOutputStream out, List<Long> ids) {
    writeVarint(out, ids.size());
    for (long id : ids) {
      writeVarint(out, id);
    }
  }

  private static List<Long> readIds(byte[] data, int[] pos) {
    long n = readVarint(data, pos);
    // Each id takes at least one byte; a count read as negative is garbage too, not "none".
    if (n < 0 || n > data.length - pos[0]) {
      throw new IllegalArgumentException("configuration entry has an impossible count " + n);
    }
    List<Long> ids = new ArrayList<>((int) n);
    for (long i = 0; i < n; i++) {
      ids.add(readVarint(data, pos));
    }
    return ids;
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long readVarint(byte[] data, int[] pos) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= data.length) {
        throw new IllegalArgumentException("configuration entry is truncated");
      }
      byte b = data[pos[0]++];
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("configuration entry has a malformed varint");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfigEntry c
        && c.config.equals(config)
        && Arrays.equals(c.context, context);
  }

  @Override
  public int hashCode() {
    return config.hashCode() * 31 + Arrays.hashCode(context);
  }

  @Override
  public String toString() {
    return "ConfigEntry[" + config + ", context=" + context.length + " bytes]";
  }
}
