package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EndpointAddressTest {
  @Test
  void acceptsEtcdSpellings() {
    assertThat(EndpointAddress.parse("127.0.0.1:2379").toString()).isEqualTo("127.0.0.1:2379");
    assertThat(EndpointAddress.parse("http://127.0.0.2:12379/").toString())
        .isEqualTo("127.0.0.2:12379");
    assertThat(EndpointAddress.parse("localhost"))
        .isEqualTo(new EndpointAddress("localhost", 2379));
    assertThat(EndpointAddress.parse("[::1]:2379")).isEqualTo(new EndpointAddress("::1", 2379));
    assertThat(EndpointAddress.parse("[::1]:2379").toString()).isEqualTo("[::1]:2379");
  }

  @Test
  void rejectsWhatItCannotUse() {
    assertThatThrownBy(() -> EndpointAddress.parse("https://a:2379")).hasMessageContaining("TLS");
    assertThatThrownBy(() -> EndpointAddress.parse("a:port")).hasMessageContaining("bad port");
    assertThatThrownBy(() -> EndpointAddress.parse("a:70000")).hasMessageContaining("range");
    assertThatThrownBy(() -> EndpointAddress.parse("::1:2379")).hasMessageContaining("brackets");
    assertThatThrownBy(() -> EndpointAddress.parse(" ")).hasMessageContaining("empty");
  }
}
