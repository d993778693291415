package org.xiaolaba.server.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who a request comes from, as the throttles, the connection limits and the audit log count it: the
 * peer's IP address, unless the peer is one of the configured trusted proxies ({@code
 * http.trustedProxies}, addresses or CIDRs). From those, and only from those, the client is the
 * nearest address in {@code X-Forwarded-For} that is not itself a trusted proxy, else {@code
 * X-Real-IP}; a forged header from anyone else is ignored.
 *
 * <p>The address is worked out once per request and kept on the channel ({@link #of}), so that a
 * WebSocket keeps the address of its upgrade request.
 */
public final class ClientAddress {
  private static final AttributeKey<String> KEY = AttributeKey.valueOf("xiaolaba.clientAddress");

  /** One address or CIDR block: the leading {@code bits} of {@code network}. */
  private record Block(byte[] network, int bits) {
    boolean contains(byte[] a) {
      if (a.length != network.length) return false;
      int whole = bits / 8;
      for (int i = 0; i < whole; i++) if (a[i] != network[i]) return false;
      int rest = bits % 8;
      if (rest == 0) return true;
      int mask = 0xFF << (8 - rest) & 0xFF;
      return (a[whole] & mask) == (network[whole] & mask);
    }
  }

  private final List<Block> trusted;

  private ClientAddress(List<Block> trusted) {
    this.trusted = trusted;
  }

  /**
   * Reads {@code http.trustedProxies}: comma-separated IP addresses or CIDRs ({@code 10.0.0.0/8},
   * {@code ::1}); empty trusts none. Throws {@link IllegalArgumentException} naming a bad entry.
   */
  public static ClientAddress trusting(String list) {
    List<Block> blocks = new ArrayList<>();
    if (list != null) {
      for (String entry : list.split(",")) {
        String e = entry.strip();
        if (!e.isEmpty()) blocks.add(block(e));
      }
    }
    return new ClientAddress(List.copyOf(blocks));
  }

  private static Block block(String entry) {
    int slash = entry.indexOf('/');
    String host = slash < 0 ? entry : entry.substring(0, slash);
    byte[] network = NetUtil.createByteArrayFromIpAddressString(host);
    if (network == null) {
      throw new IllegalArgumentException(
          "'" + entry + "' is not an IP address or CIDR (such as 10.0.0.0/8 or ::1)");
    }
    int bits = network.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > network.length * 8) {
        throw new IllegalArgumentException(
            "'" + entry + "' has a prefix length outside 0-" + network.length * 8);
      }
    }
    return new Block(network, bits);
  }

  /** True when requests from this address may name their client in a header. */
  boolean trusts(InetAddress a) {
    byte[] bytes = a.getAddress();
    for (Block b : trusted) if (b.contains(bytes)) return true;
    return false;
  }

  /**
   * Works out the client of a request on {@code ch} with these headers, keeps it on the channel and
   * returns it.
   */
  public String resolve(Channel ch, HttpHeaders headers) {
    String client = clientOf(ch, headers);
    ch.attr(KEY).set(client);
    return client;
  }

  private String clientOf(Channel ch, HttpHeaders headers) {
    if (!(ch.remoteAddress() instanceof InetSocketAddress peer) || peer.getAddress() == null) {
      return "?";
    }
    InetAddress hop = peer.getAddress();
    if (trusted.isEmpty() || !trusts(hop)) return hop.getHostAddress();
    List<String> forwarded = headers.getAll("X-Forwarded-For");
    // Walk back from the nearest hop: each trusted proxy vouches for the one before it.
    for (int h = forwarded.size() - 1; h >= 0; h--) {
      String[] hops = forwarded.get(h).split(",");
      for (int i = hops.length - 1; i >= 0; i--) {
        InetAddress named = parse(hops[i]);
        if (named == null) return hop.getHostAddress();
        hop = named;
        if (!trusts(hop)) return hop.getHostAddress();
      }
    }
    if (forwarded.isEmpty()) {
      InetAddress real = parse(headers.get("X-Real-IP"));
      if (real != null) return real.getHostAddress();
    }
    return hop.getHostAddress();
  }

  private static InetAddress parse(String text) {
    if (text == null) return null;
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text.strip());
    if (bytes == null) return null;
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** The client of the latest request on this channel; the peer's address before any. */
  public static String of(Channel ch) {
    String known = ch.attr(KEY).get();
    if (known != null) return known;
    return ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress()
        : "?";
  }
}
