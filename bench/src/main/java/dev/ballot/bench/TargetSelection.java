package dev.ballot.bench;

import java.util.List;

/** Picks the endpoints a run sends its requests to. */
public final class TargetSelection {
  private TargetSelection() {}

  /**
   * The endpoints for {@code target}, given every endpoint's status (in the order given).
   *
   * @throws IllegalStateException if no endpoint leads, or no follower answered
   */
  public static List<String> select(Target target, List<EndpointStatus> statuses) {
    return switch (target) {
      case ALL -> statuses.stream().map(EndpointStatus::endpoint).toList();
      case LEADER ->
          statuses.stream()
              .filter(EndpointStatus::leads)
              .map(EndpointStatus::endpoint)
              .findFirst()
              .map(List::of)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no endpoint reports itself as leader: " + statuses));
      case FOLLOWER ->
          statuses.stream()
              .filter(status -> status.leaderId() != 0 && !status.leads())
              .map(EndpointStatus::endpoint)
              .findFirst()
              .map(List::of)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no endpoint is a follower with a known leader: " + statuses));
    };
  }
}
