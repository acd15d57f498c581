package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.SavedSnapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl snapshot save FILE */
@Command(
    name = "snapshot",
    description = "Backups of a node's key-value state.",
    subcommands = {SnapshotCommand.Save.class})
final class SnapshotCommand implements Runnable {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: save");
  }

  /** kvctl snapshot save FILE */
  @Command(
      name = "save",
      description = {
        "Saves a backup of one node's keys, values and revision to FILE (etcd's Maintenance"
            + ".Snapshot stream). The node is the first endpoint. The stream goes to FILE.part,"
            + " which is synced and verified (format and SHA-256) before it is renamed to FILE, so"
            + " FILE is a whole valid backup or untouched.",
        "Restore it into a new cluster with kvserver --restore-from FILE on every node."
      })
  static final class Save implements Callable<Integer> {
    /** A transfer may take long; without --timeout it gets this much. */
    private static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(10);

    @ParentCommand SnapshotCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Where the backup goes.")
    Path file;

    @Override
    public Integer call() {
      Kvctl kvctl = parent.kvctl;
      String endpoint = kvctl.endpointList().get(0);
      Duration deadline = kvctl.timeout == null ? DEFAULT_DEADLINE : kvctl.timeout();
      SavedSnapshot saved;
      try (BallotClient client = kvctl.openClient(List.of(endpoint))) {
        saved = client.saveSnapshot(endpoint, file, deadline).join();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (kvctl.format() == Kvctl.Format.JSON) {
        out.println(
            Json.object()
                .put("file", saved.file().toString())
                .put("bytes", saved.fileBytes())
                .put("revision", saved.revision())
                .put("keys", saved.keyCount())
                .put("sha256", saved.sha256Hex()));
      } else {
        out.println(
            "Snapshot saved at "
                + saved.file()
                + " (revision "
                + saved.revision()
                + ", "
                + saved.keyCount()
                + " keys, "
                + Formats.bytes(saved.fileBytes())
                + ")");
      }
      return ExitCodes.OK;
    }
  }
}
