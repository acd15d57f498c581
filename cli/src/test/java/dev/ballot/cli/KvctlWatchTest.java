package dev.ballot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.client.fake.FakeHistory;
import dev.ballot.client.fake.FakeWatchServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** kvctl watch against fake etcd members: etcdctl's output forms, --count, compaction, usage. */
class KvctlWatchTest {
  private final FakeHistory history = new FakeHistory();
  private final FakeWatchServer server = FakeWatchServer.start(history, 1, 2);

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void printsEachEventAsEtcdctlWithThePreviousKeyValueWhenAsked() {
    long first = history.put("app/a", "1");
    history.put("app/a", "2");
    history.put("other", "x");
    history.delete("app/a");

    KvctlRun run =
        KvctlRun.at(
            server.endpoint(), "watch", "app/", "--prefix", "--rev", "" + first, "--count", "3");
    KvctlRun withPrev =
        KvctlRun.at(
            server.endpoint(), "watch", "app/a", "--rev", "" + first, "--prev-kv", "--count", "3");

    assertThat(run)
        .isEqualTo(new KvctlRun(0, "PUT\napp/a\n1\nPUT\napp/a\n2\nDELETE\napp/a\n\n", ""));
    assertThat(withPrev.out())
        .isEqualTo("PUT\napp/a\n1\nPUT\napp/a\n1\napp/a\n2\nDELETE\napp/a\n2\napp/a\n\n");
  }

  @Test
  void jsonIsOneLinePerResponseWithBase64KeysAndValuesAndNoZeroFields() {
    history.put("k", "v1");
    history.delete("k");
    history.put("k", "v3");

    KvctlRun run =
        KvctlRun.at(server.endpoint(), "-w", "json", "watch", "k", "--rev", "1", "--count", "3");

    assertThat(run.code()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "{\"Header\":{\"revision\":3},\"Events\":["
                + "{\"kv\":{\"key\":\"aw==\",\"create_revision\":1,\"mod_revision\":1,"
                + "\"version\":1,\"value\":\"djE=\"}},"
                + "{\"type\":1,\"kv\":{\"key\":\"aw==\",\"mod_revision\":2}}],"
                + "\"CompactRevision\":0,\"Canceled\":false,\"Created\":false}\n"
                + "{\"Header\":{\"revision\":3},\"Events\":["
                + "{\"kv\":{\"key\":\"aw==\",\"create_revision\":3,\"mod_revision\":3,"
                + "\"version\":1,\"value\":\"djM=\"}}],"
                + "\"CompactRevision\":0,\"Canceled\":false,\"Created\":false}\n");
  }

  @Test
  void countStopsInsideABatchAfterExactlyThatManyEvents() {
    for (int i = 1; i <= 4; i++) {
      history.put("k", "v" + i);
    }

    KvctlRun run = KvctlRun.at(server.endpoint(), "watch", "k", "--rev", "1", "--count", "3");

    assertThat(run).isEqualTo(new KvctlRun(0, "PUT\nk\nv1\nPUT\nk\nv2\nPUT\nk\nv3\n", ""));
  }

  @Test
  void followsNewWritesUntilTheCountIsReached() throws Exception {
    CompletableFuture<KvctlRun> run =
        CompletableFuture.supplyAsync(
            () -> KvctlRun.at(server.endpoint(), "watch", "live", "--count", "2"));
    // The watch starts "from now": write until the command has seen two writes.
    int writes = 0;
    while (!run.isDone() && writes < 200) {
      history.put("live", "v" + ++writes);
      try {
        run.get(50, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException notYet) {
        // keep writing
      }
    }

    KvctlRun done = run.get(10, TimeUnit.SECONDS);
    assertThat(done.code()).isZero();
    String[] lines = done.out().split("\n");
    assertThat(lines).hasSize(6);
    int firstSeen = Integer.parseInt(lines[2].substring(1));
    assertThat(lines)
        .containsExactly("PUT", "live", "v" + firstSeen, "PUT", "live", "v" + (firstSeen + 1));
  }

  @Test
  void compactedRevisionExitsWithOneNamingTheOldestRevisionKept() {
    history.put("k", "v1");
    history.put("k", "v2");
    history.put("k", "v3");
    history.compact(3);

    KvctlRun run = KvctlRun.at(server.endpoint(), "watch", "k", "--rev", "1");
    KvctlRun json = KvctlRun.at(server.endpoint(), "-w", "json", "watch", "k", "--rev", "2");

    assertThat(run)
        .isEqualTo(
            new KvctlRun(
                ExitCodes.ERROR,
                "",
                "kvctl: watch cancelled: revision 1 has been compacted; the oldest revision kept"
                    + " is 3\n"));
    assertThat(json.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(json.out())
        .isEqualTo(
            "{\"Header\":{},\"Events\":[],\"CompactRevision\":3,\"Canceled\":true,"
                + "\"Created\":false}\n");
  }

  @Test
  void negativeRevisionOrCountIsAUsageError() {
    assertThat(KvctlRun.at(server.endpoint(), "watch", "k", "--rev", "-1"))
        .isEqualTo(
            new KvctlRun(
                ExitCodes.USAGE,
                "",
                "kvctl: --rev must be >= 0, got -1 (see 'kvctl watch --help')\n"));
    assertThat(KvctlRun.at(server.endpoint(), "watch", "k", "--count", "-2").code())
        .isEqualTo(ExitCodes.USAGE);
    assertThat(server.creates()).isEmpty();
  }
}
