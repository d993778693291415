package org.xiaolaba.bench.push;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The harness client's WebSocket frame reader, in place of Netty's decoder once the handshake is
 * done: a push's payload is copied to a scratch array of the thread and its offset, push id and
 * {@code sentAt} found by scanning it, without a frame object, a UTF-8 check or a {@code String};
 * any other frame goes on up the pipeline as Netty's frame object. The clients share the machine
 * with the server they measure, so what a client spends on each push is taken from the server.
 *
 * <p>Server frames are never masked or fragmented (the server writes each message as one frame);
 * anything else is a protocol error that closes the connection.
 */
final class PushFrameReader extends ByteToMessageDecoder {
  private static final byte[] PUSH = bytes("{\"type\":\"push\"");
  private static final byte[] OFFSET = bytes("\"offset\":\"");
  private static final byte[] PUSH_ID = bytes("\"pushId\":\"");
  private static final byte[] SENT_AT = bytes("\"sentAt\":\"");
  private static final int MAX_PAYLOAD = 1 << 20;
  private static final FastThreadLocal<byte[]> SCRATCH =
      new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
          return new byte[4096];
        }
      };

  private final Resident resident;

  PushFrameReader(Resident resident) {
    this.resident = resident;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    // A frame for the pipeline goes up before the pushes after it are read (Netty calls again).
    while (in.readableBytes() >= 2 && out.isEmpty()) {
      int start = in.readerIndex();
      int b0 = in.getUnsignedByte(start);
      int b1 = in.getUnsignedByte(start + 1);
      if ((b0 & 0x80) == 0 || (b0 & 0x70) != 0 || (b1 & 0x80) != 0) {
        throw new CorruptedFrameException("a fragmented, masked or extended server frame");
      }
      int header = 2;
      long length = b1 & 0x7f;
      if (length == 126) {
        if (in.readableBytes() < 4) return;
        length = in.getUnsignedShort(start + 2);
        header = 4;
      } else if (length == 127) {
        if (in.readableBytes() < 10) return;
        length = in.getLong(start + 2);
        header = 10;
      }
      if (length < 0 || length > MAX_PAYLOAD) {
        throw new CorruptedFrameException("a frame of " + length + " B");
      }
      int n = (int) length;
      if (in.readableBytes() < header + n) return;
      int from = start + header;
      in.skipBytes(header);
      int opcode = b0 & 0x0f;
      if (opcode == 1 && startsWith(in, from, n, PUSH)) {
        push(in, from, n);
        in.skipBytes(n);
        continue;
      }
      ByteBuf payload = in.readRetainedSlice(n);
      out.add(
          switch (opcode) {
            case 1 -> new TextWebSocketFrame(payload);
            case 2 -> new BinaryWebSocketFrame(payload);
            case 8 -> new CloseWebSocketFrame(true, 0, payload);
            case 9 -> new PingWebSocketFrame(payload);
            case 10 -> new PongWebSocketFrame(payload);
            default -> {
              payload.release();
              throw new CorruptedFrameException("opcode " + opcode);
            }
          });
    }
  }

  private void push(ByteBuf in, int from, int length) {
    byte[] b = scratch(length);
    in.getBytes(from, b, 0, length);
    int offset = valueAt(b, 0, length, OFFSET);
    if (offset < 0) return;
    int dash = indexOf(b, offset, length, (byte) '-');
    int end = indexOf(b, offset, length, (byte) '"');
    if (dash < 0 || end < dash) return;
    long ms = digits(b, offset, dash);
    long seq = digits(b, dash + 1, end);
    int id = valueAt(b, end, length, PUSH_ID);
    int sent = valueAt(b, end, length, SENT_AT);
    resident.onPush(
        ms,
        seq,
        b,
        id,
        id < 0 ? -1 : indexOf(b, id, length, (byte) '"'),
        sent,
        sent < 0 ? -1 : indexOf(b, sent, length, (byte) '"'));
  }

  /** This thread's scratch copy of a payload: read in place, never kept. */
  private static byte[] scratch(int length) {
    byte[] b = SCRATCH.get();
    if (b.length < length) {
      b = new byte[Math.max(length, b.length * 2)];
      SCRATCH.set(b);
    }
    return b;
  }

  /** Where the string value after {@code name} starts, or -1. */
  private static int valueAt(byte[] b, int from, int to, byte[] name) {
    int last = to - name.length;
    byte first = name[0];
    for (int i = from; i <= last; i++) {
      if (b[i] == first && Arrays.equals(b, i, i + name.length, name, 0, name.length)) {
        return i + name.length;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] b, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (b[i] == value) return i;
    }
    return -1;
  }

  private static boolean startsWith(ByteBuf in, int at, int length, byte[] prefix) {
    if (length < prefix.length) return false;
    for (int i = 0; i < prefix.length; i++) {
      if (in.getByte(at + i) != prefix[i]) return false;
    }
    return true;
  }

  private static long digits(byte[] b, int from, int to) {
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) throw new CorruptedFrameException("an offset that is not ms-seq");
      v = v * 10 + d;
    }
    return v;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
