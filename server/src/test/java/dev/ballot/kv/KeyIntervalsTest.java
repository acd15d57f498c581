package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyIntervalsTest {
  private final KeyIntervals intervals = new KeyIntervals();

  @Test
  void singleKeyContainsOnlyThatKey() {
    intervals.addRange(bytes("b"), bytes(""));

    assertThat(intervals.contains(bytes("b"))).isTrue();
    assertThat(intervals.contains(bytes("a"))).isFalse();
    assertThat(intervals.contains(bytes("b\0"))).isFalse();
    assertThat(intervals.contains(bytes("ba"))).isFalse();
  }

  @Test
  void rangeEndIsExclusiveAndFromKeyHasNoEnd() {
    intervals.addRange(bytes("b"), bytes("d"));
    intervals.addRange(bytes("x"), bytes("\0"));

    assertThat(intervals.contains(bytes("c"))).isTrue();
    assertThat(intervals.contains(bytes("d"))).isFalse();
    assertThat(intervals.contains(bytes("w"))).isFalse();
    assertThat(intervals.contains(bytes("zzzz"))).isTrue();
  }

  @Test
  void overlappingAndAdjacentIntervalsMerge() {
    intervals.addRange(bytes("c"), bytes("e"));
    intervals.addRange(bytes("a"), bytes("b"));
    intervals.addRange(bytes("g"), bytes("h"));
    intervals.addRange(bytes("b"), bytes("d")); // bridges [a,b) and [c,e)
    intervals.addRange(bytes("f"), bytes("\0")); // swallows [g,h)

    KeyIntervals copy = new KeyIntervals();
    copy.addAll(intervals);

    for (String key : new String[] {"a", "b", "c", "d", "f", "g", "h", "z"}) {
      assertThat(copy.contains(bytes(key))).as(key).isTrue();
    }
    assertThat(copy.contains(bytes("e"))).isFalse();
    assertThat(copy.contains(bytes("\0"))).isFalse();
  }

  @Test
  void emptyOrInvertedRangeAddsNothing() {
    intervals.addRange(bytes("c"), bytes("a"));

    assertThat(intervals.contains(bytes("b"))).isFalse();
    assertThat(intervals.contains(bytes("c"))).isFalse();
  }
}
