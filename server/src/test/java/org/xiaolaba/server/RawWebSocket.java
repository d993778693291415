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

  /**
   * Sends the handshake for {@code path} (such as {@code /ws?token=T}) on {@code s}; returns the
   * response head.
   */
  public static String handshake(Socket s, String path) throws IOException {
    s.getOutputStream()
        .write(
            new String(HANDSHAKE, StandardCharsets.US_ASCII)
                .replaceFirst("^GET /ws ", "GET " + path + " ")
                .getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return readHead(s.getInputStream());
  }

  /**
   * Writes one frame exactly as told, whatever the protocol says: {@code firstByte} is FIN, the
   * reserved bits and the opcode; the length field says {@code declaredLength} while only {@code
   * payload} follows (masked with a fixed key when {@code masked}).
   */
  public static void sendFrame(
      OutputStream out, int firstByte, boolean masked, long declaredLength, byte[] payload)
      throws IOException {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.write(firstByte);
    int maskBit = masked ? 0x80 : 0;
    if (declaredLength < 126) {
      b.write(maskBit | (int) declaredLength);
    } else if (declaredLength <= 0xffff) {
      b.write(maskBit | 126);
      b.write((int) (declaredLength >>> 8));
      b.write((int) declaredLength);
    } else {
      b.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) b.write((int) (declaredLength >>> shift));
    }
    byte[] mask = {0x37, (byte) 0xfa, 0x21, 0x3d};
    if (masked) b.write(mask);
    for (int i = 0; i < payload.length; i++) {
      b.write(masked ? payload[i] ^ mask[i % 4] : payload[i]);
    }
    out.write(b.toByteArray());
    out.flush();
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
