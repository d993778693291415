package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The media disk fills up under a running server, for real: a tmpfs of a few KiB is mounted where
 * the server streams uploads ({@code media/incoming}), then where it writes renditions ({@code
 * media/tmp}), so the kernel answers ENOSPC. An upload that does not fit is a 507 problem, a clip
 * whose renditions do not fit fails saying the disk is full; neither leaves a file or a clip
 * behind, and the server keeps serving: once there is room the same upload becomes a ready clip,
 * without a restart. Mounting needs root (as in CI); elsewhere the test is skipped.
 */
class DiskFullTest {
  @TempDir Path dir;
  TestServer server;
  final List<Path> mounted = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
    for (Path p : mounted) run("umount", "-l", p.toString());
  }

  @Test
  void anUploadOrATranscodeThatFillsTheDiskIsRefusedLeavesNothingBehindAndTheServerGoesOn()
      throws Exception {
    Path data = dir.resolve("node");
    Path incoming = Files.createDirectories(data.resolve("media/incoming"));
    Path tmp = Files.createDirectories(data.resolve("media/tmp"));
    mountTmpfs(incoming, "64k");
    server = TestServer.start(data);
    String editor = server.token("editor", "编辑", "320623");
    Path tone = TestServer.tone(dir, "tone.wav", 5); // about 430 KiB

    HttpResponse<String> refused = upload(tone, editor);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(507);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(refused.body()).contains("disk is full");
    assertThat(clips(editor)).isEmpty();
    assertThat(leftovers(data)).isEmpty();
    assertThat(server.get("/readyz", null).statusCode()).isEqualTo(200);

    // Room for the upload, none for its renditions: accepted, then failed for the full disk.
    unmount(incoming);
    mountTmpfs(tmp, "4k");
    HttpResponse<String> accepted = upload(tone, editor);
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    JsonNode failed =
        server.awaitClipSettled(TestServer.json(accepted.body()).get("id").asText(), editor);
    assertThat(failed.path("status").asText()).as(failed.toString()).isEqualTo("failed");
    assertThat(failed.path("error").asText()).contains("disk is full");
    assertThat(leftovers(data)).isEmpty();

    // Room again: the same upload is stored and transcoded, by the same server.
    unmount(tmp);
    HttpResponse<String> again = upload(tone, editor);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    JsonNode ready =
        server.awaitClipSettled(TestServer.json(again.body()).get("id").asText(), editor);
    assertThat(ready.path("status").asText()).as(ready.toString()).isEqualTo("ready");
    assertThat(leftovers(data)).isEmpty();
    assertThat(server.get("/readyz", null).statusCode()).isEqualTo(200);
  }

  private HttpResponse<String> upload(Path file, String token) throws IOException {
    return server.send(
        server
            .request("/api/v1/clips?title=tone", token)
            .header("Content-Type", "audio/wav")
            .POST(HttpRequest.BodyPublishers.ofFile(file))
            .build());
  }

  private List<JsonNode> clips(String token) {
    JsonNode page = TestServer.json(server.get("/api/v1/clips?limit=50", token).body());
    List<JsonNode> out = new ArrayList<>();
    (page.isArray() ? page : page.path("clips")).forEach(out::add);
    return out;
  }

  /** Files left in the temporary and source directories of the node's media. */
  private static List<Path> leftovers(Path data) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String sub : List.of("media/incoming", "media/tmp", "media/sources")) {
      try (Stream<Path> files = Files.list(data.resolve(sub))) {
        files.filter(f -> !f.getFileName().toString().equals("lost+found")).forEach(out::add);
      }
    }
    return out;
  }

  private void mountTmpfs(Path at, String size) throws Exception {
    String result = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
    assumeTrue(result.isEmpty(), "a tmpfs cannot be mounted here (needs root): " + result);
    mounted.add(at);
  }

  private void unmount(Path at) throws Exception {
    assertThat(run("umount", at.toString())).as("nothing holds a file open on " + at).isEmpty();
    mounted.remove(at);
  }

  /** Runs a command; empty when it succeeded, else its exit code and output. */
  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": " + out;
  }
}
