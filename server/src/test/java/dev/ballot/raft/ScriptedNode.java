package dev.ballot.raft;

import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;

/**
 * One {@link RaftNode} driven by hand for rules about single messages: each input is followed by
 * {@code ready()} and {@code advance()}, and the Ready is returned for inspection.
 */
final class ScriptedNode {
  private final RaftNode node;

  private ScriptedNode(RaftNode node) {
    this.node = node;
  }

  /** Node {@code id} of a brand-new cluster of voters 1..clusterSize. */
  static ScriptedNode fresh(long id, int clusterSize) {
    return restored(id, clusterSize, RestoredState.empty(), b -> b);
  }

  static ScriptedNode restored(
      long id, int clusterSize, RestoredState state, UnaryOperator<RaftConfig.Builder> tuning) {
    ClusterConfig cluster =
        ClusterConfig.ofVoters(LongStream.rangeClosed(1, clusterSize).boxed().toList());
    RaftConfig config = tuning.apply(RaftConfig.builder(id)).build();
    ScriptedNode scripted = new ScriptedNode(new RaftNode(config, cluster, state, new Random(id)));
    scripted.drain();
    return scripted;
  }

  RaftNode node() {
    return node;
  }

  Ready step(Message m) {
    node.step(m);
    return drain();
  }

  Ready tick() {
    node.tick();
    return drain();
  }

  /** Takes the pending Ready and reports it handled. */
  Ready drain() {
    Ready rd = node.ready();
    node.advance(rd);
    return rd;
  }

  static <T extends Message> List<T> messages(Ready rd, Class<T> type) {
    return rd.messages().stream().filter(type::isInstance).map(type::cast).toList();
  }
}
