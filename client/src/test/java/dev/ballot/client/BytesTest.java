package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BytesTest {
  @Test
  void prefixEndIncrementsTheLastByteBelowFf() {
    assertThat(Bytes.prefixEnd(new byte[] {'a', 'b'})).containsExactly('a', 'c');
    assertThat(Bytes.prefixEnd(new byte[] {'a', (byte) 0xff})).containsExactly('b');
  }

  @Test
  void prefixEndWithoutUpperBoundIsZeroByte() {
    assertThat(Bytes.prefixEnd(new byte[] {(byte) 0xff, (byte) 0xff})).containsExactly(0);
    assertThat(Bytes.prefixEnd(new byte[0])).containsExactly(0);
  }
}
