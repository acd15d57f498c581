package dev.ballot.client.fake;

import dev.ballot.etcd.api.Member;
import java.util.ArrayList;
import java.util.List;

/**
 * Fake members 1..n sharing one {@link FakeStore}, listed in its member list with their real client
 * URLs; member 1 is the leader.
 */
public final class FakeCluster implements AutoCloseable {
  private final FakeStore store = new FakeStore();
  private final List<FakeEtcdServer> servers = new ArrayList<>();

  private FakeCluster(int size) {
    store.setLeaderId(1);
    for (int id = 1; id <= size; id++) {
      FakeEtcdServer server = FakeEtcdServer.start(store, id);
      servers.add(server);
      store.addMember(
          Member.newBuilder()
              .setID(id)
              .setName("node" + id)
              .addPeerURLs("http://127.0.0." + id + ":2380")
              .addClientURLs("http://" + server.endpoint())
              .build());
    }
  }

  /** Starts {@code size} members. */
  public static FakeCluster start(int size) {
    return new FakeCluster(size);
  }

  /** Adds learner {@code id} (named node + decimal id) to the member list; it has no server. */
  public void addLearner(long id) {
    store.addMember(Member.newBuilder().setID(id).setName("node" + id).setIsLearner(true).build());
  }

  public FakeStore store() {
    return store;
  }

  /** The member with id {@code index + 1}. */
  public FakeEtcdServer server(int index) {
    return servers.get(index);
  }

  /** Every member's endpoint, comma-separated. */
  public String endpoints() {
    return String.join(",", servers.stream().map(FakeEtcdServer::endpoint).toList());
  }

  @Override
  public void close() {
    servers.forEach(FakeEtcdServer::close);
  }
}
