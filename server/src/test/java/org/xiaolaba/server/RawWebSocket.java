package org.xiaolaba.server;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket spoken by hand over a plain socket, for tests that need what a well-behaved client
 * library will not do: declare absurd frames, stop reading, read the raw close frame.
 */
public final class RawWebSocket {
  /** The opening handshake's request, with a fixed key. */
  public static final byte[] HANDSHAKE =
      ("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  private RawWebSocket() {}

  /** One frame from the server (unmasked). */
  public record Frame(int opcode, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public int closeCode() {
      return payload.length < 2 ? -1 : ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }
  }

  /** Sends the handshake on {@code s}; returns the response head. */
  public static String handshake(Socket s) throws IOException {
    s.getOutputStream().write(HANDSHAKE);
    s.getOutputStream().flush();
    return readHead(s.getInputStream());
  }

  /** Reads an HTTP response head, up to its blank line. */
  public static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) break;
      sb.append((char) c);
    }
    return sb.toString();
  }

  public static Frame readFrame(DataInputStream in) throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) len = in.readUnsignedShort();
    else if (len == 127) len = in.readLong();
    byte[] payload = new byte[Math.toIntExact(len)];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, payload);
  }

  /** Sends a short masked text frame (under 126 bytes), as a client must. */
  public static void sendText(OutputStream out, String text) throws IOException {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    if (data.length > 125) throw new IllegalArgumentException("short frames only");
    byte[] mask = {1, 2, 3, 4};
    out.write(0x81);
    out.write(0x80 | data.length);
    out.write(mask);
    for (int i = 0; i < data.length; i++) out.write(data[i] ^ mask[i % 4]);
    out.flush();
  }
}
