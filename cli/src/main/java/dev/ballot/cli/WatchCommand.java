package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.BallotException;
import dev.ballot.client.KeyValue;
import dev.ballot.client.Watch;
import dev.ballot.client.WatchBatch;
import dev.ballot.client.WatchCompactedException;
import dev.ballot.client.WatchEvent;
import dev.ballot.client.WatchListener;
import dev.ballot.client.WatchOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl watch KEY [--prefix] [--rev N] [--prev-kv] [--count N] */
@Command(
    name = "watch",
    description = {
      "Prints the changes of KEY (or of the keys with prefix KEY) as they happen, until Ctrl-C.",
      "Table output is etcdctl's: PUT or DELETE on a line, then the previous key and value"
          + " (--prev-kv), then the key and its value. With -w json, one line per response as"
          + " etcdctl prints it, keys and values in base64.",
      "A broken connection is resumed on another endpoint without losing or repeating an event."
          + " A start revision that was compacted away ends the command with an error naming the"
          + " oldest revision kept (exit code 1)."
    })
final class WatchCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The key or prefix.")
  String key;

  @Option(names = "--prefix", description = "Watch every key that starts with KEY.")
  boolean prefix;

  @Option(
      names = "--rev",
      paramLabel = "N",
      description =
          "Start with the changes at revision N, then follow (default: only new changes).")
  long revision;

  @Option(names = "--prev-kv", description = "Print each key's previous key and value too.")
  boolean prevKv;

  @Option(
      names = "--count",
      paramLabel = "N",
      description = "Stop after N events, with exit code 0 (default: run until interrupted).")
  long count;

  @Override
  public Integer call() {
    if (revision < 0) {
      throw new ParameterException(spec.commandLine(), "--rev must be >= 0, got " + revision);
    }
    if (count < 0) {
      throw new ParameterException(spec.commandLine(), "--count must be >= 0, got " + count);
    }
    WatchOptions.Builder options = WatchOptions.builder(key).startRevision(revision);
    if (prefix) {
      options.prefix();
    }
    if (prevKv) {
      options.prevKv();
    }
    Printer printer = new Printer(kvctl.terminal(), kvctl.format() == Kvctl.Format.JSON);
    try (BallotClient client = kvctl.openClient();
        Watch watch = client.watch(options.build(), printer)) {
      return printer.done.join();
    }
  }

  /** Prints each batch as it comes; ends the command after --count events or a failure. */
  private final class Printer implements WatchListener {
    final CompletableFuture<Integer> done = new CompletableFuture<>();
    private final Terminal terminal;
    private final PrintWriter out;
    private final boolean json;
    private long printed;

    Printer(Terminal terminal, boolean json) {
      this.terminal = terminal;
      this.out = terminal.text();
      this.json = json;
    }

    @Override
    public void onEvents(WatchBatch batch) {
      List<WatchEvent> events = batch.events();
      if (count > 0 && printed + events.size() > count) {
        events = events.subList(0, (int) (count - printed));
      }
      if (json) {
        out.println(response(batch.revision(), events, 0, false));
      } else {
        for (WatchEvent event : events) {
          out.println(event.type());
          event.prevKv().ifPresent(prev -> Formats.printSimple(terminal, prev));
          Formats.printSimple(terminal, event.kv());
        }
      }
      out.flush();
      printed += events.size();
      if (count > 0 && printed >= count) {
        done.complete(ExitCodes.OK);
      }
    }

    @Override
    public void onCompacted(long compactRevision, long requestedRevision) {
      if (json) {
        out.println(response(0, List.of(), compactRevision, true));
        out.flush();
      }
      onError(WatchCompactedException.of(compactRevision, requestedRevision, null));
    }

    @Override
    public void onError(BallotException failure) {
      done.completeExceptionally(failure);
    }
  }

  /** etcdctl's JSON of a watch response: Go's field names, proto's zero fields left out. */
  private static Json response(
      long revision, List<WatchEvent> events, long compactRevision, boolean canceled) {
    Json header = Json.object();
    if (revision != 0) {
      header.put("revision", revision);
    }
    List<Json> jsonEvents = new ArrayList<>(events.size());
    for (WatchEvent event : events) {
      Json json = Json.object();
      if (event.type() == WatchEvent.Type.DELETE) {
        json.put("type", 1L);
      }
      json.put("kv", kv(event.kv()));
      event.prevKv().ifPresent(prev -> json.put("prev_kv", kv(prev)));
      jsonEvents.add(json);
    }
    return Json.object()
        .put("Header", header)
        .put("Events", jsonEvents)
        .put("CompactRevision", compactRevision)
        .put("Canceled", canceled)
        .put("Created", false);
  }

  private static Json kv(KeyValue kv) {
    Json json = Json.object();
    putIfSet(json, "key", kv.key());
    putIfSet(json, "create_revision", kv.createRevision());
    putIfSet(json, "mod_revision", kv.modRevision());
    putIfSet(json, "version", kv.version());
    putIfSet(json, "value", kv.value());
    putIfSet(json, "lease", kv.lease());
    return json;
  }

  private static void putIfSet(Json json, String name, long value) {
    if (value != 0) {
      json.put(name, value);
    }
  }

  private static void putIfSet(Json json, String name, byte[] value) {
    if (value.length > 0) {
      json.put(name, Base64.getEncoder().encodeToString(value));
    }
  }
}
