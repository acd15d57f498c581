package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ballot.it.KvctlIT.Run;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * The dashboard every kvserver serves at {@code /} of its HTTP port, in headless Chromium against a
 * real 3-node cluster: it lists the members and the leader, shows a write made with kvctl, and
 * reflects a SIGKILLed leader within seconds. The page is read through its test hooks ({@code
 * #members tbody tr[data-member-id]} with {@code data-role} and {@code data-healthy}, {@code
 * #leader-name[data-leader-id]}, {@code #writes li[data-key]}, {@code #elections
 * li[data-leader-id]}, {@code #conn-state[data-state]}), in one script per poll, since the page
 * rebuilds those elements on every status event. Ballot only: etcd has no such port.
 */
class DashboardBrowserTest {
  /** A status event comes every second; the page must show a change within a few of them. */
  private static final Duration PAGE_UPDATE_BOUND = Duration.ofSeconds(10);

  private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

  /** Every hook the assertions read, at one instant of the page. */
  private static final String READ_PAGE =
      """
      const rows = [...document.querySelectorAll('#members tbody tr[data-member-id]')];
      const leader = document.querySelector('#leader-name');
      return {
        conn: document.querySelector('#conn-state').dataset.state,
        leaderId: Number(leader.dataset.leaderId || 0),
        members: rows.map((r) => ({
          id: Number(r.dataset.memberId),
          role: r.dataset.role,
          healthy: r.dataset.healthy === 'true',
        })),
        writtenKeys: [...document.querySelectorAll('#writes li[data-key]')].map((li) => li.dataset.key),
        electedIds: [...document.querySelectorAll('#elections li[data-leader-id]')]
          .map((li) => Number(li.dataset.leaderId)),
      };
      """;

  @RegisterExtension final Clusters clusters = new Clusters();

  private static HeadlessChromium chromium;

  /** What the page showed at one instant. */
  record Page(
      String conn,
      long leaderId,
      List<Member> members,
      List<String> writtenKeys,
      List<Long> electedIds) {
    record Member(long id, String role, boolean healthy) {}

    List<Long> memberIds() {
      return members.stream().map(Member::id).toList();
    }

    List<Long> leaderRowIds() {
      return members.stream().filter(m -> m.role().equals("leader")).map(Member::id).toList();
    }

    List<Long> unhealthyIds() {
      return members.stream().filter(m -> !m.healthy()).map(Member::id).toList();
    }
  }

  @BeforeAll
  static void startChromium() {
    assumeTrue(
        ServerFlavor.fromSystemProperty().servesHttp(),
        "the dashboard is Ballot's; etcd serves no such page");
    chromium = HeadlessChromium.start(KvCluster.workRoot().resolve("DashboardBrowserTest"));
  }

  @AfterAll
  static void stopChromium() {
    if (chromium != null) {
      chromium.close();
    }
  }

  @Test
  void showsEveryMemberTheLeaderAndAWriteMadeWithKvctl() {
    KvCluster cluster = clusters.start(3);
    List<Long> memberIds = List.of(cluster.memberId(0), cluster.memberId(1), cluster.memberId(2));
    open(cluster, 0);

    await("node 0's dashboard to list the 3 members and the leader")
        .atMost(PAGE_UPDATE_BOUND)
        .pollInterval(POLL_INTERVAL)
        .untilAsserted(
            () -> {
              OptionalInt leader = cluster.leaderIndex();
              assertThat(leader).as("the cluster's leader").isPresent();
              long leaderId = cluster.memberId(leader.getAsInt());
              Page page = readPage();
              assertThat(page.conn()).as("connection state").isEqualTo("connected");
              assertThat(page.memberIds())
                  .as("member rows")
                  .containsExactlyInAnyOrderElementsOf(memberIds);
              assertThat(page.unhealthyIds()).as("unhealthy member rows").isEmpty();
              assertThat(page.leaderRowIds()).as("leader rows").containsExactly(leaderId);
              assertThat(page.leaderId()).as("#leader-name's leader").isEqualTo(leaderId);
            });

    String key = "dashboard/" + UUID.randomUUID();
    Run put = KvctlIT.run("--endpoints", endpoints(cluster), "put", key, "seen in a browser");
    assertThat(put).isEqualTo(new Run(0, "OK\n", ""));

    await("the kvctl write of " + key + " in the latest writes")
        .atMost(PAGE_UPDATE_BOUND)
        .pollInterval(POLL_INTERVAL)
        .untilAsserted(() -> assertThat(readPage().writtenKeys()).contains(key));
    chromium.screenshot(cluster.dir().resolve("dashboard-after-write.png"));
  }

  @Test
  void theFormPutsAKeyThroughTheNodeAndGetsItBack() {
    KvCluster cluster = clusters.start(3);
    cluster.awaitLeader();
    open(cluster, 1);
    String key = "form/" + UUID.randomUUID() + " a/b?&#";
    WebDriver driver = chromium.driver();
    driver.findElement(By.id("kv-key")).sendKeys(key);
    driver.findElement(By.id("kv-value")).sendKeys("typed in a browser é");
    driver.findElement(By.id("kv-put")).click();
    awaitFormOutcome(driver, "the page to say the key was stored", "ok");
    // The same store as any client's: read through another node with gRPC.
    assertThat(Etcd.get(cluster.kv(2), key, false).getKvs(0).getValue().toStringUtf8())
        .isEqualTo("typed in a browser é");

    driver.findElement(By.id("kv-value")).clear();
    driver.findElement(By.id("kv-get")).click();
    await("the page to show the value")
        .atMost(PAGE_UPDATE_BOUND)
        .pollInterval(POLL_INTERVAL)
        .untilAsserted(
            () ->
                assertThat(driver.findElement(By.id("kv-result")).getText())
                    .contains("typed in a browser é"));

    driver.findElement(By.id("kv-key")).clear();
    driver.findElement(By.id("kv-key")).sendKeys("form/never-written");
    driver.findElement(By.id("kv-get")).click();
    awaitFormOutcome(driver, "the page to say a missing key is not found", "not-found");
  }

  /** Waits until the form's last answer has {@code outcome} (its data-outcome attribute). */
  private static void awaitFormOutcome(WebDriver driver, String what, String outcome) {
    await(what)
        .atMost(PAGE_UPDATE_BOUND)
        .pollInterval(POLL_INTERVAL)
        .untilAsserted(
            () ->
                assertThat(driver.findElement(By.id("kv-result")).getAttribute("data-outcome"))
                    .isEqualTo(outcome));
  }

  @Test
  void showsAKilledLeaderUnhealthyAndTheNextLeaderWithinSeconds() {
    KvCluster cluster = clusters.start(3);
    int oldLeader = cluster.awaitLeader();
    long oldLeaderId = cluster.memberId(oldLeader);
    int viewer = (oldLeader + 1) % cluster.size();
    open(cluster, viewer);
    await("node " + viewer + "'s dashboard to show member " + oldLeaderId + " leading")
        .atMost(PAGE_UPDATE_BOUND)
        .pollInterval(POLL_INTERVAL)
        .untilAsserted(
            () -> {
              Page page = readPage();
              assertThat(page.members()).hasSize(3);
              assertThat(page.leaderRowIds()).containsExactly(oldLeaderId);
            });

    cluster.kill9(oldLeader);
    long killedAtNanos = System.nanoTime();

    await("node " + viewer + "'s dashboard to show leader " + oldLeaderId + " gone and another")
        .atMost(PAGE_UPDATE_BOUND)
        .pollInterval(POLL_INTERVAL)
        .untilAsserted(
            () -> {
              Page page = readPage();
              assertThat(page.conn()).as("connection state").isEqualTo("connected");
              assertThat(page.unhealthyIds())
                  .as("unhealthy member rows")
                  .containsExactly(oldLeaderId);
              assertThat(page.leaderRowIds())
                  .as("leader rows")
                  .hasSize(1)
                  .doesNotContain(oldLeaderId);
              long newLeaderId = page.leaderRowIds().get(0);
              assertThat(page.leaderId()).as("#leader-name's leader").isEqualTo(newLeaderId);
              assertThat(page.electedIds()).as("recent elections").contains(newLeaderId);
            });
    System.out.printf(
        "node %d's dashboard showed leader %d unhealthy and another leading %d ms after its kill%n",
        viewer, oldLeaderId, (System.nanoTime() - killedAtNanos) / 1_000_000);
    int newLeader = cluster.awaitLeader(Set.of(oldLeader));
    assertThat(readPage().leaderRowIds()).containsExactly(cluster.memberId(newLeader));
    chromium.screenshot(cluster.dir().resolve("dashboard-after-leader-kill.png"));
  }

  private static void open(KvCluster cluster, int node) {
    chromium.driver().get("http://" + cluster.httpAddress(node) + "/");
  }

  private static String endpoints(KvCluster cluster) {
    return String.join(
        ",", List.of(cluster.clientAddress(0), cluster.clientAddress(1), cluster.clientAddress(2)));
  }

  @SuppressWarnings("unchecked")
  private static Page readPage() {
    Map<String, Object> page =
        (Map<String, Object>) ((JavascriptExecutor) chromium.driver()).executeScript(READ_PAGE);
    List<Page.Member> members =
        ((List<Map<String, Object>>) page.get("members"))
            .stream()
                .map(
                    m ->
                        new Page.Member(
                            ((Number) m.get("id")).longValue(),
                            (String) m.get("role"),
                            (Boolean) m.get("healthy")))
                .toList();
    List<Long> electedIds =
        ((List<Number>) page.get("electedIds")).stream().map(Number::longValue).toList();
    return new Page(
        (String) page.get("conn"),
        ((Number) page.get("leaderId")).longValue(),
        members,
        (List<String>) page.get("writtenKeys"),
        electedIds);
  }
}
