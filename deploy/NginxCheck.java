import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a running nginx (deploy/nginx.conf) in front of two xiaolaba nodes; run by
 * deploy/test-nginx.sh as {@code java NginxCheck.java PROXY_URL NODE1_URL NODE2_URL ADMIN_TOKEN}.
 *
 * <ol>
 *   <li>Two WebSockets through nginx, one on each node (least_conn), subscribe to a village.
 *   <li>A push to the village's town, sent through nginx, reaches both of them.
 *   <li>A small WAV uploaded through nginx is accepted (202/201) and becomes ready; its rendition
 *       is on one node's disk only, and nginx serves it every time, whichever node it asks first.
 * </ol>
 *
 * JDK only (java.net.http), no JSON library: the few fields read are picked out with patterns.
 * With an {@code https://} PROXY_URL everything goes over TLS (WebSockets as {@code wss://}),
 * trusting the JVM's trust store: the script passes one with its self-signed certificate
 * ({@code -Djavax.net.ssl.trustStore}).
 */
public class NginxCheck {
  static final String VILLAGE = "320623100201";
  static final String TOWN = "320623100";
  static final Duration WAIT = Duration.ofSeconds(15);

  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static String proxy;
  static String token;

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: java NginxCheck.java PROXY_URL NODE1_URL NODE2_URL ADMIN_TOKEN");
      System.exit(2);
    }
    proxy = args[0];
    List<String> nodes = List.of(args[1], args[2]);
    token = args[3];
    try {
      run(nodes);
      System.out.println("nginx check: all passed");
      System.exit(0);
    } catch (Throwable t) {
      Throwable cause = t.getCause() != null ? t.getCause() : t;
      System.err.println(
          "nginx check FAILED: " + (t instanceof AssertionError ? t.getMessage() : cause.toString()));
      System.exit(1);
    }
  }

  static void run(List<String> nodes) throws Exception {
    // 1. two WebSockets through nginx, subscribed to the village
    String wsUrl = proxy.replaceFirst("^http", "ws") + "/ws";
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Socket s = Socket.open(wsUrl);
      s.ws.sendText("{\"op\":\"subscribe\",\"channels\":[\"area:" + VILLAGE + "\"]}", true).join();
      s.await("\"type\":\"subscribed\"", "subscribed (socket " + (i + 1) + ")");
      sockets.add(s);
    }
    step("2 WebSockets upgraded through nginx and subscribed to area:" + VILLAGE);

    List<Integer> perNode = new ArrayList<>();
    for (String node : nodes) perNode.add(webSocketsOn(node));
    check(
        perNode.equals(List.of(1, 1)),
        "expected one WebSocket on each node (nginx least_conn), found " + perNode);
    step("nginx spread them over both nodes: " + perNode);

    // 2. a push through nginx reaches both sockets, whichever node took the POST
    String title = "nginx-check-" + System.nanoTime();
    HttpResponse<String> push =
        send(
            json("/api/v1/pushes")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"areas\":[\""
                            + TOWN
                            + "\"],\"title\":\""
                            + title
                            + "\",\"body\":\"through nginx\"}")));
    check(push.statusCode() / 100 == 2, "push answered " + push.statusCode() + ": " + push.body());
    for (int i = 0; i < sockets.size(); i++) {
      String msg = sockets.get(i).await(title, "the push on socket " + (i + 1));
      check(msg.contains("\"type\":\"push\""), "not a push frame: " + msg);
    }
    step("push " + push.statusCode() + " through nginx, received on both WebSockets");
    for (Socket s : sockets) s.ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

    // 3. an upload through nginx (streamed, proxy_request_buffering off)
    byte[] wav = wav(2.0);
    HttpResponse<String> upload =
        send(
            request("/api/v1/clips?title=nginx-check")
                .header("Content-Type", "audio/wav")
                .POST(HttpRequest.BodyPublishers.ofByteArray(wav)));
    check(
        upload.statusCode() == 202 || upload.statusCode() == 201,
        "upload answered " + upload.statusCode() + ": " + upload.body());
    String clip = field(upload.body(), "id");
    step("upload of " + wav.length + " bytes through nginx: " + upload.statusCode() + ", clip " + clip);

    String url = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (url == null) {
      HttpResponse<String> c = send(request("/api/v1/clips/" + clip).GET());
      check(c.statusCode() == 200, "clip answered " + c.statusCode() + ": " + c.body());
      String status = field(c.body(), "status");
      check(!"failed".equals(status), "clip failed: " + c.body());
      if ("ready".equals(status)) {
        Matcher m = Pattern.compile("\"(/media/[^\"]+-loudspeaker\\.mp3)\"").matcher(c.body());
        check(m.find(), "no loudspeaker rendition in " + c.body());
        url = m.group(1);
      } else {
        check(System.nanoTime() < deadline, "clip not ready after 60 s: " + c.body());
        // Poll again in 300 ms, on a scheduler's timer.
        CompletableFuture.runAsync(
                () -> {}, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS))
            .join();
      }
    }
    step("clip ready: " + url);

    // 4. the rendition is on one node's disk (asked as a peer, a node answers from its own disk
    // only); through nginx it is served whichever node is asked, the other fetching it once
    List<Integer> direct = statuses(nodes, url, true);
    check(
        direct.contains(200) && direct.contains(404),
        "expected the rendition on exactly one node's disk (200 and 404), nodes answered "
            + direct);
    long length = -1;
    for (int i = 0; i < 4; i++) {
      HttpResponse<byte[]> r = http.send(
          HttpRequest.newBuilder(URI.create(proxy + url)).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      check(r.statusCode() == 200, "GET " + url + " through nginx answered " + r.statusCode());
      check(length < 0 || r.body().length == length, "rendition length changed");
      length = r.body().length;
    }
    HttpResponse<byte[]> range = http.send(
        HttpRequest.newBuilder(URI.create(proxy + url)).header("Range", "bytes=0-99").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    check(
        range.statusCode() == 206 && range.body().length == 100,
        "Range through nginx answered " + range.statusCode() + " with " + range.body().length);
    List<Integer> after = statuses(nodes, url, false);
    check(
        after.equals(List.of(200, 200)),
        "expected both nodes to serve the rendition (one fetching it from the other), got "
            + after);
    step(
        "rendition on one node's disk (as peers: "
            + direct
            + "), served through nginx 4 of 4 times ("
            + length
            + " bytes) and with Range (206), then by both nodes directly: "
            + after);
  }

  /** What each node answers for {@code url}, asked as another node would ({@code asPeer}) or not. */
  static List<Integer> statuses(List<String> nodes, String url, boolean asPeer) throws Exception {
    List<Integer> out = new ArrayList<>();
    for (String node : nodes) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + url)).GET();
      if (asPeer) b.header("X-Xiaolaba-Peer", "1");
      out.add(http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode());
    }
    return out;
  }

  /** The WebSocket connections a node reports in /metrics. */
  static int webSocketsOn(String node) throws Exception {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create(node + "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    Matcher m =
        Pattern.compile("(?m)^xiaolaba_websocket_connections(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
            .matcher(r.body());
    check(m.find(), node + "/metrics has no xiaolaba_websocket_connections");
    return (int) Double.parseDouble(m.group(1));
  }

  static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(proxy + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token);
  }

  static HttpRequest.Builder json(String path) {
    return request(path).header("Content-Type", "application/json");
  }

  static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
    check(m.find(), "no \"" + name + "\" in " + json);
    return m.group(1);
  }

  /** A mono 16-bit 44.1 kHz WAV: a 440 Hz tone. */
  static byte[] wav(double seconds) {
    int rate = 44100;
    int samples = (int) (rate * seconds);
    ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2);
    b.put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1);
    b.putShort((short) 1).putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
    for (int i = 0; i < samples; i++) {
      b.putShort((short) (Math.sin(2 * Math.PI * 440 * i / rate) * 12000));
    }
    return b.array();
  }

  static void check(boolean ok, String message) {
    if (!ok) throw new AssertionError(message);
  }

  static void step(String what) {
    System.out.println("  ok  " + what);
  }

  /** A WebSocket whose text messages are queued whole. */
  static final class Socket implements WebSocket.Listener {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final StringBuilder partial = new StringBuilder();
    WebSocket ws;

    static Socket open(String url) {
      Socket s = new Socket();
      s.ws =
          http.newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .buildAsync(URI.create(url), s)
              .orTimeout(10, TimeUnit.SECONDS)
              .join();
      return s;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      messages.add("closed " + code + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      messages.add("error " + error);
    }

    /** The first message containing {@code text}; others are skipped. */
    String await(String text, String what) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      List<String> seen = new ArrayList<>();
      while (true) {
        String m = messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (m == null) throw new AssertionError("no " + what + " within " + WAIT + "; got " + seen);
        if (m.contains(text)) return m;
        if (m.startsWith("closed ") || m.startsWith("error ")) {
          throw new AssertionError("WebSocket " + m + " while waiting for " + what);
        }
        seen.add(m);
      }
    }
  }
}
