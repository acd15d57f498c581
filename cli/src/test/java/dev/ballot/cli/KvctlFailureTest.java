package dev.ballot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.client.fake.FakeEtcdServer;
import dev.ballot.client.fake.Fault;
import org.junit.jupiter.api.Test;

/** Usage errors, help, version, and the exit codes of failed requests. */
class KvctlFailureTest {

  @Test
  void helpListsCommandsAndExitCodes() {
    KvctlRun help = KvctlRun.run("--help");

    assertThat(help.code()).isZero();
    assertThat(help.out())
        .contains("put", "get", "del", "cas", "status", "members", "member", "move-leader")
        .contains("Exit codes:")
        .contains("3   compare failed (cas)")
        .contains("BALLOT_ENDPOINTS");
  }

  @Test
  void everySubcommandHasHelpWithTheExitCodes() {
    for (String command :
        new String[] {
          "put",
          "get",
          "del",
          "cas",
          "watch",
          "status",
          "members",
          "member list",
          "member remove",
          "member promote",
          "move-leader"
        }) {
      KvctlRun help = KvctlRun.run((command + " --help").split(" "));
      assertThat(help.code()).as(command).isZero();
      assertThat(help.out()).as(command).contains("Exit codes:").contains("--endpoints");
    }
  }

  @Test
  void versionPrintsTheProjectVersion() {
    KvctlRun version = KvctlRun.run("--version");

    assertThat(version.code()).isZero();
    assertThat(version.out()).startsWith("kvctl ").doesNotContain("unknown").doesNotContain("${");
  }

  @Test
  void usageErrorsAreOneLineAndExitTwo() {
    KvctlRun unknownOption = KvctlRun.run("get", "k", "--bogus");
    KvctlRun missingValue = KvctlRun.run("put");
    KvctlRun noCommand = KvctlRun.run();
    KvctlRun badTimeout = KvctlRun.run("--timeout", "soon", "get", "k");
    KvctlRun badFormat = KvctlRun.run("-w", "yaml", "get", "k");
    KvctlRun badEndpoint = KvctlRun.run("--endpoints", "https://x:1", "get", "k");

    for (KvctlRun run :
        new KvctlRun[] {
          unknownOption, missingValue, noCommand, badTimeout, badFormat, badEndpoint
        }) {
      assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
      assertThat(run.err()).as(run.toString()).startsWith("kvctl: ");
      assertThat(run.err().lines()).as(run.toString()).hasSize(1);
    }
    assertThat(unknownOption.err()).contains("kvctl get --help");
  }

  @Test
  void noReachableEndpointIsExitFive() {
    KvctlRun get =
        KvctlRun.run(
            "--endpoints", FakeEtcdServer.unusedEndpoint(), "--timeout", "500ms", "get", "k");

    assertThat(get.code()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(get.err()).startsWith("kvctl: no endpoint could serve the request within 500ms");
    assertThat(get.err().lines()).hasSize(1);
  }

  @Test
  void noLeaderIsExitFive() {
    try (FakeEtcdServer server = FakeEtcdServer.start()) {
      server.inject("Put", Fault.noLeader(), 1000);

      KvctlRun put =
          KvctlRun.run("--endpoints", server.endpoint(), "--timeout", "1s", "put", "k", "v");

      assertThat(put.code()).isEqualTo(ExitCodes.UNAVAILABLE);
      assertThat(put.err()).contains("etcdserver: no leader");
    }
  }

  @Test
  void writeTimeoutIsExitFour() {
    try (FakeEtcdServer server = FakeEtcdServer.start()) {
      server.inject("Put", new Fault.Hang(), 1);
      server.inject("Put", new Fault.Hang(), 1);

      KvctlRun put =
          KvctlRun.run("--endpoints", server.endpoint(), "--timeout", "2s", "put", "k", "v");

      assertThat(put.code()).isEqualTo(ExitCodes.OUTCOME_UNKNOWN);
      assertThat(put.err())
          .startsWith("kvctl: outcome unknown, the write may or may not have been applied: ");
      assertThat(server.calls("Put")).isEqualTo(1);
    }
  }
}
