package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.KeyValue;
import dev.ballot.client.RangeOptions;
import dev.ballot.client.RangeResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * kvctl get KEY [--prefix] [--from-key] [--limit N] [--rev N] [--serializable] [--keys-only]
 * [--count-only]
 */
@Command(
    name = "get",
    description = {
      "Reads KEY, or the keys with prefix KEY, or the keys from KEY on.",
      "Table output is etcdctl's simple form: each key on a line, its value on the next;"
          + " --keys-only prints keys only, --count-only the count only.",
      "Nothing is printed for a missing key (exit code 0)."
    })
final class GetCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The key, prefix or first key.")
  String key;

  @Option(names = "--prefix", description = "Read every key that starts with KEY.")
  boolean prefix;

  @Option(names = "--from-key", description = "Read every key greater than or equal to KEY.")
  boolean fromKey;

  @Option(names = "--limit", paramLabel = "N", description = "Return at most N keys (0: all).")
  long limit;

  @Option(
      names = "--serializable",
      description =
          "Read the answering node's local copy, without asking the leader (may be stale).")
  boolean serializable;

  @Option(
      names = "--rev",
      paramLabel = "N",
      description = "Read the keys as they were at revision N (0: now), until it is compacted.")
  long revision;

  @Option(names = "--keys-only", description = "Return keys without values.")
  boolean keysOnly;

  @Option(names = "--count-only", description = "Return only the number of keys.")
  boolean countOnly;

  @Override
  public Integer call() {
    RangeOptions options = options();
    RangeResult result;
    try (BallotClient client = kvctl.openClient()) {
      result = client.range(options).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Formats.response(result.revision())
              .putNonEmpty("kvs", Formats.json(result.kvs()))
              .putNonEmpty("more", result.more())
              .putNonZero("count", result.count()));
    } else if (countOnly) {
      out.println(result.count());
    } else {
      for (KeyValue kv : result.kvs()) {
        if (keysOnly) {
          kvctl.terminal().bytesLine(kv.key());
        } else {
          Formats.printSimple(kvctl.terminal(), kv);
        }
      }
    }
    return ExitCodes.OK;
  }

  private RangeOptions options() {
    if (prefix && fromKey) {
      throw new ParameterException(
          spec.commandLine(), "--prefix and --from-key exclude each other");
    }
    if (limit < 0) {
      throw new ParameterException(spec.commandLine(), "--limit must be >= 0, got " + limit);
    }
    if (revision < 0) {
      throw new ParameterException(spec.commandLine(), "--rev must be >= 0, got " + revision);
    }
    RangeOptions.Builder builder = RangeOptions.builder(key).limit(limit).revision(revision);
    if (prefix) {
      builder.prefix();
    }
    if (fromKey) {
      builder.fromKey();
    }
    if (serializable) {
      builder.serializable();
    }
    if (keysOnly) {
      builder.keysOnly();
    }
    if (countOnly) {
      builder.countOnly();
    }
    return builder.build();
  }
}
