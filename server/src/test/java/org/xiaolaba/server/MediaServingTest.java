package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rendition files are served with Range and HEAD, and nothing outside the media directory is. */
class MediaServingTest {
  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String url;
  static long size;
  static byte[] whole;

  @BeforeAll
  static void uploadAClip() throws Exception {
    server = TestServer.start(dataDir);
    String editor = server.token("editor", "编辑", "320623");
    Path wav = TestServer.tone(work, "tone.wav", 3);
    // Multipart, as a browser form would send it.
    String boundary = "----xiaolaba-test";
    byte[] file = java.nio.file.Files.readAllBytes(wav);
    byte[] head =
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n村广播测试\r\n--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tone.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + file.length + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(file, 0, body, head.length, file.length);
    System.arraycopy(tail, 0, body, head.length + file.length, tail.length);
    HttpResponse<String> r =
        server.send(
            server
                .request("/api/v1/clips", editor)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    String id = TestServer.json(r.body()).get("id").asText();
    JsonNode settled = server.awaitClipSettled(id, editor);
    assertThat(settled.get("status").asText()).as(settled.toString()).isEqualTo("ready");
    assertThat(settled.get("title").asText()).isEqualTo("村广播测试");
    url = settled.at("/renditions/app/url").asText();
    size = settled.at("/renditions/app/bytes").asLong();
    whole = server.sendBytes(server.request(url, null).GET().build()).body();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void theWholeFileIsServedWithItsLengthAndType() {
    assertThat(whole.length).isEqualTo(size);
    HttpResponse<byte[]> r = server.sendBytes(server.request(url, null).GET().build());
    assertThat(r.headers().firstValue("Content-Type")).hasValue("audio/mp4");
    assertThat(r.headers().firstValue("Accept-Ranges")).hasValue("bytes");
  }

  @Test
  void aRangeIsServedAsPartialContent() {
    HttpResponse<byte[]> r =
        server.sendBytes(server.request(url, null).header("Range", "bytes=100-199").GET().build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 100-199/" + size);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(whole, 100, 200));
  }

  @Test
  void aResumedDownloadGetsTheRest() {
    HttpResponse<byte[]> r =
        server.sendBytes(
            server.request(url, null).header("Range", "bytes=" + (size - 10) + "-").GET().build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(whole, (int) size - 10, (int) size));
  }

  @Test
  void anUnsatisfiableRangeIs416() {
    HttpResponse<byte[]> r =
        server.sendBytes(
            server.request(url, null).header("Range", "bytes=" + size + "-").GET().build());
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */" + size);
  }

  @Test
  void headGivesTheLengthWithoutTheBody() {
    HttpResponse<byte[]> r =
        server.sendBytes(
            server.request(url, null).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Length")).hasValue(Long.toString(size));
    assertThat(r.body()).isEmpty();
  }

  @Test
  void pathsOutsideTheMediaDirectoryAreNeverServed() throws Exception {
    for (String path :
        new String[] {
          "/media/..%2F..%2Fetc%2Fpasswd",
          "/media/%2Fetc%2Fpasswd",
          "/media/../redis/appendonly.aof",
          "/media/..",
          "/media/nothing.mp3"
        }) {
      assertThat(server.rawGetStatus(path)).as(path).isIn(404, 400);
    }
  }
}
