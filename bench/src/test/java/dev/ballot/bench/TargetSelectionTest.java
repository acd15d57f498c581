package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetSelectionTest {
  private static final List<EndpointStatus> STATUSES =
      List.of(
          new EndpointStatus("a:1", 11, 22),
          new EndpointStatus("b:2", 22, 22),
          new EndpointStatus("c:3", 33, 22));

  @Test
  void leaderIsTheEndpointWhoseMemberIdIsTheLeader() {
    assertThat(TargetSelection.select(Target.LEADER, STATUSES)).containsExactly("b:2");
  }

  @Test
  void followerIsTheFirstEndpointThatDoesNotLead() {
    assertThat(TargetSelection.select(Target.FOLLOWER, STATUSES)).containsExactly("a:1");
  }

  @Test
  void allIsEveryEndpointInOrder() {
    assertThat(TargetSelection.select(Target.ALL, STATUSES)).containsExactly("a:1", "b:2", "c:3");
  }

  @Test
  void noLeaderIsAnError() {
    List<EndpointStatus> leaderless = List.of(new EndpointStatus("a:1", 11, 0));

    assertThatThrownBy(() -> TargetSelection.select(Target.LEADER, leaderless))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no endpoint reports itself as leader");
  }

  @Test
  void workloadNamesParseAndUnknownOnesAreRejected() {
    assertThat(Workload.parse("get-lin")).isEqualTo(Workload.GET_LIN);
    assertThatThrownBy(() -> Workload.parse("get"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("put, get-lin, get-ser");
  }
}
