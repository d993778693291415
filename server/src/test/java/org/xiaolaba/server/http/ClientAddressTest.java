package org.xiaolaba.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientAddressTest {
  /** An embedded channel that reports a peer address of our choosing. */
  private static EmbeddedChannel from(String ip) {
    return new EmbeddedChannel() {
      @Override
      protected SocketAddress remoteAddress0() {
        try {
          return new InetSocketAddress(InetAddress.getByName(ip), 40000);
        } catch (java.net.UnknownHostException e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }

  private static HttpHeaders forwardedFor(String... values) {
    HttpHeaders h = new DefaultHttpHeaders();
    for (String v : values) h.add("X-Forwarded-For", v);
    return h;
  }

  @Test
  void withNoTrustedProxyTheHeadersAreIgnored() {
    ClientAddress none = ClientAddress.trusting("");
    EmbeddedChannel ch = from("203.0.113.7");
    assertThat(none.resolve(ch, forwardedFor("198.51.100.1"))).isEqualTo("203.0.113.7");
    assertThat(ClientAddress.of(ch)).isEqualTo("203.0.113.7");
  }

  @Test
  void aForgedHeaderFromAnUntrustedPeerIsIgnored() {
    ClientAddress trusting = ClientAddress.trusting("127.0.0.1, 10.0.0.0/8");
    HttpHeaders forged = forwardedFor("198.51.100.1");
    forged.add("X-Real-IP", "198.51.100.2");
    assertThat(trusting.resolve(from("203.0.113.7"), forged)).isEqualTo("203.0.113.7");
  }

  @Test
  void fromATrustedProxyTheNearestUntrustedHopIsTheClient() {
    ClientAddress trusting = ClientAddress.trusting("127.0.0.1, 10.0.0.0/8");
    // the client forged the first entry; nginx appended the address it saw; an inner proxy too
    HttpHeaders h = forwardedFor("198.51.100.1, 203.0.113.9", "10.1.2.3");
    assertThat(trusting.resolve(from("127.0.0.1"), h)).isEqualTo("203.0.113.9");
  }

  @Test
  void fromATrustedProxyWithoutForwardedForXRealIpNamesTheClient() {
    ClientAddress trusting = ClientAddress.trusting("127.0.0.1");
    HttpHeaders h = new DefaultHttpHeaders().add("X-Real-IP", "203.0.113.9");
    assertThat(trusting.resolve(from("127.0.0.1"), h)).isEqualTo("203.0.113.9");
    assertThat(trusting.resolve(from("127.0.0.1"), new DefaultHttpHeaders()))
        .as("no header: the proxy itself")
        .isEqualTo("127.0.0.1");
  }

  @Test
  void aGarbledHopStopsTheWalkAtTheLastTrustedAddress() {
    ClientAddress trusting = ClientAddress.trusting("127.0.0.1");
    assertThat(trusting.resolve(from("127.0.0.1"), forwardedFor("not-an-ip")))
        .isEqualTo("127.0.0.1");
  }

  @Test
  void cidrBlocksMatchOnTheirPrefixOnly() throws Exception {
    ClientAddress t = ClientAddress.trusting("10.0.0.0/8, 192.168.4.0/22, ::1, fd00::/8");
    assertThat(t.trusts(InetAddress.getByName("10.255.0.1"))).isTrue();
    assertThat(t.trusts(InetAddress.getByName("11.0.0.1"))).isFalse();
    assertThat(t.trusts(InetAddress.getByName("192.168.7.255"))).isTrue();
    assertThat(t.trusts(InetAddress.getByName("192.168.8.0"))).isFalse();
    assertThat(t.trusts(InetAddress.getByName("::1"))).isTrue();
    assertThat(t.trusts(InetAddress.getByName("fd12::1"))).isTrue();
    assertThat(t.trusts(InetAddress.getByName("fe80::1"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"proxy.example", "10.0.0.0/33", "10.0.0.0/x", "::1/129", "300.1.1.1"})
  void aBadEntryIsRefusedNamingIt(String entry) {
    assertThatThrownBy(() -> ClientAddress.trusting("127.0.0.1," + entry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(entry);
  }
}
