package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboxTest {
  @Test
  void refusesBeyondCapacityAndDrainsOldestFirstUpToMax() {
    Inbox<Integer> inbox = new Inbox<>(3);
    assertThat(inbox.offer(1)).isTrue();
    assertThat(inbox.offer(2)).isTrue();
    assertThat(inbox.offer(3)).isTrue();
    assertThat(inbox.offer(4)).isFalse();

    List<Integer> out = new ArrayList<>();
    inbox.drainTo(out, 2);
    assertThat(out).containsExactly(1, 2);
    assertThat(inbox.offer(5)).isTrue();
    assertThat(inbox.offer(6)).isTrue();
    assertThat(inbox.offer(7)).isFalse();

    inbox.drainTo(out, 10);
    assertThat(out).containsExactly(1, 2, 3, 5, 6);
    assertThat(inbox.isEmpty()).isTrue();
  }

  @Test
  void manyProducersLoseNothing() throws Exception {
    int capacity = 1_000;
    Inbox<Integer> inbox = new Inbox<>(capacity);
    int producers = 4;
    int each = 50_000;
    Thread[] threads = new Thread[producers];
    for (int p = 0; p < producers; p++) {
      threads[p] =
          new Thread(
              () -> {
                for (int n = 0; n < each; n++) {
                  while (!inbox.offer(n)) {
                    Thread.onSpinWait();
                  }
                }
              });
      threads[p].start();
    }
    List<Integer> drained = new ArrayList<>();
    int total = producers * each;
    while (drained.size() < total) {
      inbox.drainTo(drained, 100);
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(drained).hasSize(total);
    assertThat(inbox.isEmpty()).isTrue();
  }
}
