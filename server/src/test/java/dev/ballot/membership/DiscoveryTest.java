package dev.ballot.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.proto.raft.v1.DiscoverResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
  private static DiscoverResponse answer(long tempId, String clientAddr, long clusterId) {
    return DiscoverResponse.newBuilder()
        .setTempId(tempId)
        .setClientAddr(clientAddr)
        .setClusterId(clusterId)
        .build();
  }

  private static Map<String, DiscoverResponse> answers(long clusterId) {
    Map<String, DiscoverResponse> answers = new LinkedHashMap<>();
    answers.put("a:1", answer(900, "a:0", clusterId));
    answers.put("b:1", answer(-5, "b:0", clusterId)); // sorts last: ids compare unsigned
    answers.put("c:1", answer(17, "c:0", clusterId));
    return answers;
  }

  @Test
  void everyNodeComputesTheSameIdsAndClusterIdFromTheSameAnswers() {
    Identity fromC = Discovery.assign(17, "", answers(0));
    Identity fromA = Discovery.assign(900, "", answers(0));
    Identity fromB = Discovery.assign(-5, "", answers(0));

    assertThat(fromC.nodeId()).isEqualTo(1);
    assertThat(fromA.nodeId()).isEqualTo(2);
    assertThat(fromB.nodeId()).isEqualTo(3);
    assertThat(fromA.clusterId()).isEqualTo(fromB.clusterId()).isEqualTo(fromC.clusterId());
    assertThat(fromA.initialMembership()).isEqualTo(fromC.initialMembership());
    assertThat(fromA.initialMembership().member(1).orElseThrow().peerAddr()).isEqualTo("c:1");
    assertThat(fromA.initialMembership().member(1).orElseThrow().clientAddr()).isEqualTo("c:0");
  }

  @Test
  void anotherSetOfNodesGetsAnotherClusterId() {
    Map<String, DiscoverResponse> other = answers(0);
    other.put("c:1", answer(18, "c:0", 0));
    assertThat(Discovery.assign(18, "", other).clusterId())
        .isNotEqualTo(Discovery.assign(17, "", answers(0)).clusterId());
  }

  @Test
  void aPeerThatAlreadyFinishedDiscoveryOfTheSameClusterIsAccepted() {
    long clusterId = Discovery.assign(17, "", answers(0)).clusterId();
    Map<String, DiscoverResponse> late = answers(0);
    late.put("a:1", answer(900, "a:0", clusterId));
    assertThat(Discovery.assign(17, "", late).clusterId()).isEqualTo(clusterId);
  }

  @Test
  void aPeerOfAnotherClusterIsRefused() {
    Map<String, DiscoverResponse> mixed = answers(0);
    mixed.put("a:1", answer(900, "a:0", 0x1234));
    assertThatThrownBy(() -> Discovery.assign(17, "", mixed))
        .isInstanceOf(Discovery.DiscoveryException.class)
        .hasMessageContaining("a:1 already belongs to cluster 1234");
  }

  @Test
  void aListWithoutThisNodeIsRefused() {
    assertThatThrownBy(() -> Discovery.assign(42, "", answers(0)))
        .isInstanceOf(Discovery.DiscoveryException.class)
        .hasMessageContaining("reaches this node");
  }

  @Test
  void twoAddressesOfOneNodeAreRefused() {
    Map<String, DiscoverResponse> twice = answers(0);
    twice.put("localhost:1", answer(17, "c:0", 0));
    assertThatThrownBy(() -> Discovery.assign(17, "", twice))
        .isInstanceOf(Discovery.DiscoveryException.class)
        .hasMessageContaining("reach the same node");
  }

  @Test
  void nodesThatStartFromDifferentDataAreRefused() {
    Map<String, DiscoverResponse> restored = new LinkedHashMap<>();
    answers(0).forEach((k, v) -> restored.put(k, v.toBuilder().setDataFingerprint("f1").build()));
    assertThat(Discovery.assign(17, "f1", restored).nodeId()).isEqualTo(1);

    Map<String, DiscoverResponse> oneEmpty = new LinkedHashMap<>(restored);
    oneEmpty.put("a:1", answer(900, "a:0", 0));
    assertThatThrownBy(() -> Discovery.assign(17, "f1", oneEmpty))
        .isInstanceOf(Discovery.DiscoveryException.class)
        .hasMessageContaining("peer a:1 starts from an empty data directory")
        .hasMessageContaining("this node starts from backup f1");

    Map<String, DiscoverResponse> otherBackup = new LinkedHashMap<>(restored);
    otherBackup.put("b:1", restored.get("b:1").toBuilder().setDataFingerprint("f2").build());
    assertThatThrownBy(() -> Discovery.assign(17, "f1", otherBackup))
        .isInstanceOf(Discovery.DiscoveryException.class)
        .hasMessageContaining("peer b:1 starts from backup f2");
  }

  private static DiscoverResponse advertising(long tempId, String peerAddr) {
    return DiscoverResponse.newBuilder()
        .setTempId(tempId)
        .setPeerAddr(peerAddr)
        .setClientAddr("c" + tempId + ":0")
        .build();
  }

  @Test
  void nodesThatSpellAMemberDifferentlyRecordItAtTheAddressItAdvertises() {
    // Node 5 is 127.0.0.1:2380 in one --initial-cluster and localhost:2380 in the other.
    Map<String, DiscoverResponse> one = new LinkedHashMap<>();
    one.put("127.0.0.1:2380", advertising(5, "127.0.0.1:2380"));
    one.put("127.0.0.1:2480", advertising(6, "127.0.0.1:2480"));
    Map<String, DiscoverResponse> other = new LinkedHashMap<>();
    other.put("localhost:2380", advertising(5, "127.0.0.1:2380"));
    other.put("127.0.0.1:2480", advertising(6, "127.0.0.1:2480"));

    Identity fromOne = Discovery.assign(5, "", one);
    Identity fromOther = Discovery.assign(6, "", other);

    assertThat(fromOne.initialMembership()).isEqualTo(fromOther.initialMembership());
    assertThat(fromOther.initialMembership().member(1).orElseThrow().peerAddr())
        .isEqualTo("127.0.0.1:2380");
  }

  @Test
  void aMemberAdvertisingAWildcardIsRecordedAtTheAddressDialled() {
    assertThat(Discovery.memberPeerAddr("10.0.0.7:2380", "0.0.0.0:2380"))
        .isEqualTo("10.0.0.7:2380");
    assertThat(Discovery.memberPeerAddr("10.0.0.7:2380", "[::]:2380")).isEqualTo("10.0.0.7:2380");
    assertThat(Discovery.memberPeerAddr("10.0.0.7:2380", "")).isEqualTo("10.0.0.7:2380");
    assertThat(Discovery.memberPeerAddr("localhost:2380", "127.0.0.1:2380"))
        .isEqualTo("127.0.0.1:2380");
  }

  @Test
  void aMemberAdvertisingAnotherEndpointIsRecordedAtTheAddressDialled() {
    // NAT or a proxy without --advertise-peer-addr: the address dialled is the one that works.
    assertThat(Discovery.memberPeerAddr("127.0.0.1:2380", "127.0.0.1:2390"))
        .isEqualTo("127.0.0.1:2380");
    assertThat(Discovery.memberPeerAddr("203.0.113.5:2380", "10.1.2.3:2380"))
        .isEqualTo("203.0.113.5:2380");
    assertThat(Discovery.memberPeerAddr("127.0.0.1:2380", "not an address"))
        .isEqualTo("127.0.0.1:2380");
    Map<String, DiscoverResponse> answers = new LinkedHashMap<>();
    answers.put("127.0.0.1:2380", advertising(5, "127.0.0.1:2380"));
    answers.put("127.0.0.1:2480", advertising(6, "127.0.0.9:2480"));
    assertThat(
            Discovery.assign(5, "", answers).initialMembership().member(2).orElseThrow().peerAddr())
        .isEqualTo("127.0.0.1:2480");
  }

  @Test
  void identitySurvivesEncoding() {
    Identity identity = Discovery.assign(900, "", answers(0));
    assertThat(Identity.decode(identity.encode())).isEqualTo(identity);
  }
}
