package dev.ballot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.client.BallotClient;
import dev.ballot.client.fake.FakeEtcdServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** put, get, del and cas against a fake member: parsing, output and exit codes. */
class KvctlKeyValueTest {
  private FakeEtcdServer server;

  @BeforeEach
  void start() {
    server = FakeEtcdServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private KvctlRun kvctl(String... args) {
    return KvctlRun.at(server.endpoint(), args);
  }

  @Test
  void putPrintsOkAndGetPrintsKeyThenValue() {
    KvctlRun put = kvctl("put", "greeting", "hello world");
    KvctlRun get = kvctl("get", "greeting");

    assertThat(put.code()).isZero();
    assertThat(put.out()).isEqualTo("OK\n");
    assertThat(get.code()).isZero();
    assertThat(get.out()).isEqualTo("greeting\nhello world\n");
    assertThat(get.err()).isEmpty();
  }

  @Test
  void putWithPrevKvPrintsTheReplacedPair() {
    kvctl("put", "k", "old");

    assertThat(kvctl("put", "k", "new", "--prev-kv").out()).isEqualTo("OK\nk\nold\n");
  }

  @Test
  void valueStartingWithDashNeedsDoubleDash() {
    assertThat(kvctl("put", "k", "--", "-1").code()).isZero();
    assertThat(kvctl("get", "k").out()).isEqualTo("k\n-1\n");
  }

  @Test
  void getOfMissingKeyPrintsNothing() {
    KvctlRun get = kvctl("get", "missing");

    assertThat(get.code()).isZero();
    assertThat(get.out()).isEmpty();
  }

  @Test
  void getHonoursPrefixLimitKeysOnlyCountOnlyAndFromKey() {
    kvctl("put", "a/1", "x");
    kvctl("put", "a/2", "y");
    kvctl("put", "b", "z");

    assertThat(kvctl("get", "a/", "--prefix").out()).isEqualTo("a/1\nx\na/2\ny\n");
    assertThat(kvctl("get", "a/", "--prefix", "--limit", "1").out()).isEqualTo("a/1\nx\n");
    assertThat(kvctl("get", "a/", "--prefix", "--keys-only").out()).isEqualTo("a/1\na/2\n");
    assertThat(kvctl("get", "", "--prefix", "--count-only").out()).isEqualTo("3\n");
    assertThat(kvctl("get", "a/2", "--from-key", "--serializable").out())
        .isEqualTo("a/2\ny\nb\nz\n");
  }

  @Test
  void getJsonIsOneStableLine() {
    kvctl("put", "k", "v \"quoted\"");

    KvctlRun get = kvctl("-w", "json", "get", "k");

    long rev = server.store().revision();
    assertThat(get.out())
        .isEqualTo(
            "{\"header\":{\"revision\":"
                + rev
                + "},\"kvs\":[{\"key\":\""
                + base64("k")
                + "\",\"create_revision\":"
                + rev
                + ",\"mod_revision\":"
                + rev
                + ",\"version\":1,\"value\":\""
                + base64("v \"quoted\"")
                + "\"}],\"count\":1}\n");
  }

  @Test
  void jsonLeavesOutEmptyFieldsLikeEtcdctl() {
    long rev = server.store().revision();

    assertThat(kvctl("-w", "json", "get", "missing").out())
        .isEqualTo("{\"header\":{\"revision\":" + rev + "}}\n");
  }

  @Test
  void binaryValueFromStandardInputComesBackByteForByte() {
    byte[] value = {(byte) 0xff, 0x00, (byte) 0xc3};

    KvctlRun.Bytes put = KvctlRun.bytesAt(server.endpoint(), value, "put", "bin");
    KvctlRun json = kvctl("-w", "json", "get", "bin");
    KvctlRun.Bytes simple = KvctlRun.bytesAt(server.endpoint(), new byte[0], "get", "bin");

    assertThat(put.code()).as(put.err()).isZero();
    String encoded = json.out().replaceAll(".*\"value\":\"([^\"]*)\".*\n", "$1");
    assertThat(Base64.getDecoder().decode(encoded)).containsExactly(value);
    assertThat(simple.out())
        .containsExactly('b', 'i', 'n', '\n', (byte) 0xff, 0x00, (byte) 0xc3, '\n');
  }

  @Test
  void binaryKeyIsPrintedRawAndInBase64() {
    byte[] key = {'k', (byte) 0xc3};
    try (BallotClient client = BallotClient.builder().endpoints(server.endpoint()).build()) {
      client.put(key, "v".getBytes(StandardCharsets.UTF_8)).join();
    }

    KvctlRun json = kvctl("-w", "json", "get", "k", "--prefix");
    KvctlRun.Bytes keys =
        KvctlRun.bytesAt(server.endpoint(), new byte[0], "get", "k", "--prefix", "--keys-only");

    assertThat(json.out()).contains("\"key\":\"" + Base64.getEncoder().encodeToString(key) + "\"");
    assertThat(keys.out()).containsExactly('k', (byte) 0xc3, '\n');
  }

  @Test
  void incrCountsFromZeroByOneOrDelta() {
    assertThat(kvctl("incr", "n").out()).isEqualTo("1\n");
    assertThat(kvctl("incr", "n", "41").out()).isEqualTo("42\n");
    assertThat(kvctl("incr", "n", "--", "-50").out()).isEqualTo("-8\n");
    KvctlRun json = kvctl("-w", "json", "incr", "n");

    assertThat(json.out())
        .isEqualTo("{\"header\":{\"revision\":" + server.store().revision() + "},\"value\":-7}\n");
    assertThat(kvctl("get", "n").out()).isEqualTo("n\n-7\n");
  }

  @Test
  void incrOfAValueThatIsNotAnIntegerFailsAndWritesNothing() {
    kvctl("put", "word", "abc");
    kvctl("put", "max", Long.toString(Long.MAX_VALUE));
    long revision = server.store().revision();

    KvctlRun word = kvctl("incr", "word");
    KvctlRun overflow = kvctl("incr", "max");
    KvctlRun badDelta = kvctl("incr", "word", "x");

    assertThat(word)
        .isEqualTo(
            new KvctlRun(
                ExitCodes.ERROR,
                "",
                "kvctl: the value of \"word\" is not a decimal integer: \"abc\"\n"));
    assertThat(overflow.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(overflow.err()).contains("overflows");
    assertThat(badDelta.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(server.store().revision()).isEqualTo(revision);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void globalOptionsWorkAfterTheSubcommandToo() {
    kvctl("put", "k", "v");

    KvctlRun get = KvctlRun.run("get", "k", "--write-out=json", "--endpoints", server.endpoint());

    assertThat(get.code()).isZero();
    assertThat(get.out()).startsWith("{\"header\":{\"revision\":");
  }

  @Test
  void endpointsComeFromTheEnvironmentByDefault() {
    KvctlRun put = KvctlRun.run(Map.of(Kvctl.ENDPOINTS_ENV, server.endpoint()), "put", "k", "v");

    assertThat(put.code()).isZero();
    assertThat(server.calls("Put")).isEqualTo(1);
  }

  @Test
  void delPrintsCountAndPrevKvs() {
    kvctl("put", "p/1", "x");
    kvctl("put", "p/2", "y");

    assertThat(kvctl("del", "nothing").out()).isEqualTo("0\n");
    assertThat(kvctl("del", "p/", "--prefix", "--prev-kv").out()).isEqualTo("2\np/1\nx\np/2\ny\n");
    assertThat(kvctl("-w", "json", "del", "p/1").out())
        .isEqualTo("{\"header\":{\"revision\":" + server.store().revision() + "}}\n");
  }

  @Test
  void casSwapsWhenTheValueMatches() {
    kvctl("put", "k", "old");

    KvctlRun cas = kvctl("cas", "k", "old", "new");

    assertThat(cas.code()).isZero();
    assertThat(cas.out()).isEqualTo("OK mod_revision=" + server.store().revision() + "\n");
    assertThat(kvctl("get", "k").out()).isEqualTo("k\nnew\n");
  }

  @Test
  void casExitsWithThreeAndShowsTheCurrentValueWhenTheCompareFails() {
    kvctl("put", "k", "v1");
    kvctl("put", "k", "v2");
    long rev = server.store().revision();

    KvctlRun cas = kvctl("cas", "k", "v1", "v3");

    assertThat(cas.code()).isEqualTo(ExitCodes.COMPARE_FAILED);
    assertThat(cas.out()).isEqualTo("FAILED mod_revision=" + rev + " version=2\nv2\n");
    assertThat(kvctl("cas", "absent", "x", "y").out()).isEqualTo("FAILED key not found\n");
  }

  @Test
  void casByModRevision() {
    KvctlRun first = kvctl("cas", "lock", "--mod-revision", "0", "me");
    assertThat(first.code()).as(first.toString()).isZero();
    long rev = server.store().revision();

    KvctlRun again = kvctl("cas", "lock", "--mod-revision", "0", "you");
    KvctlRun json = kvctl("-w", "json", "cas", "lock", "--mod-revision", Long.toString(rev), "me2");

    assertThat(again.code()).isEqualTo(3);
    assertThat(again.out()).isEqualTo("FAILED mod_revision=" + rev + " version=1\nme\n");
    assertThat(json.code()).isZero();
    assertThat(json.out())
        .isEqualTo("{\"header\":{\"revision\":" + (rev + 1) + "},\"succeeded\":true}\n");
  }

  @Test
  void casWithWrongArgumentCountIsAUsageError() {
    KvctlRun tooFew = kvctl("cas", "k", "v");
    KvctlRun revisionWithThree = kvctl("cas", "k", "a", "b", "--mod-revision", "3");

    assertThat(tooFew.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(tooFew.err()).startsWith("kvctl: expected KEY EXPECTED NEW").endsWith("\n");
    assertThat(tooFew.err().lines()).hasSize(1);
    assertThat(revisionWithThree.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(server.calls("Txn")).isZero();
  }

  @Test
  void serverRefusalIsExitOneWithEtcdsMessage() {
    KvctlRun put = kvctl("put", "", "v");

    assertThat(put.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(put.err()).isEqualTo("kvctl: etcdserver: key is not provided\n");
    assertThat(put.out()).isEmpty();
  }
}
