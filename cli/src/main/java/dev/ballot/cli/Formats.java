package dev.ballot.cli;

import dev.ballot.client.KeyValue;
import dev.ballot.client.MemberInfo;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/** Shared output pieces: key-values in simple and JSON form, members, ids, sizes. */
final class Formats {
  private static final String[] SI_UNITS = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};

  private Formats() {}

  /** etcdctl's simple form: the key on one line, the value on the next, both raw bytes. */
  static void printSimple(Terminal terminal, KeyValue kv) {
    terminal.bytesLine(kv.key());
    terminal.bytesLine(kv.value());
  }

  /**
   * A key-value as etcdctl -w json prints it (Go's JSON of mvccpb.KeyValue): bytes in base64, and
   * fields that are zero or empty left out.
   */
  static Json json(KeyValue kv) {
    return Json.object()
        .putNonEmpty("key", base64(kv.key()))
        .putNonZero("create_revision", kv.createRevision())
        .putNonZero("mod_revision", kv.modRevision())
        .putNonZero("version", kv.version())
        .putNonEmpty("value", base64(kv.value()))
        .putNonZero("lease", kv.lease());
  }

  /**
   * A response object that starts with etcdctl's header; of the header kvctl's results carry only
   * the revision.
   */
  static Json response(long revision) {
    return Json.object().put("header", Json.object().putNonZero("revision", revision));
  }

  /** Standard base64 with padding, as Go encodes a bytes field in JSON. */
  static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static List<Json> json(List<KeyValue> kvs) {
    return kvs.stream().map(Formats::json).toList();
  }

  static Json json(MemberInfo member) {
    return Json.object()
        .put("id", Json.unsigned(member.id()))
        .put("name", member.name())
        .put("peer_urls", member.peerUrls())
        .put("client_urls", member.clientUrls())
        .put("is_learner", member.isLearner());
  }

  /** Member ids in hex, as etcdctl prints them (and {@link MemberIdParameter} reads them). */
  static String memberId(long id) {
    return Long.toHexString(id);
  }

  /** A size in SI units like etcdctl: "512 B", "4.1 kB", "25 MB". */
  static String bytes(long size) {
    if (size < 1000) {
      return size + " B";
    }
    double value = size;
    int unit = 0;
    while (value >= 1000 && unit < SI_UNITS.length - 1) {
      value /= 1000;
      unit++;
    }
    String number =
        value < 10
            ? String.format(Locale.ROOT, "%.1f", value)
            : String.format(Locale.ROOT, "%.0f", value);
    return number + " " + SI_UNITS[unit];
  }
}
