package org.xiaolaba.bench.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The driver's handle on one client worker process: JSON commands in, JSON replies out. */
final class WorkerProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final int index;
  private final Process process;
  private final PrintStream in;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

  private WorkerProcess(int index, Process process) {
    this.index = index;
    this.process = process;
    this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) replies.add(line);
              } catch (IOException e) {
                replies.add("{\"error\":\"worker output lost: " + e.getMessage() + "\"}");
              }
            },
            "worker-" + index + "-replies");
    reader.setDaemon(true);
    reader.start();
  }

  static WorkerProcess start(int index, Path log, List<String> javaOptions, int threads)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(javaOptions);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            PushBench.class.getName(),
            "worker",
            "--threads",
            Integer.toString(threads)));
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    return new WorkerProcess(index, p);
  }

  long pid() {
    return process.pid();
  }

  void send(ObjectNode command) {
    try {
      in.println(JSON.writeValueAsString(command));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  JsonNode reply(Duration timeout) {
    try {
      String line = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null) throw new IllegalStateException("worker " + index + " did not answer");
      JsonNode n = JSON.readTree(line);
      if (n.has("error")) throw new IllegalStateException("worker " + index + ": " + n);
      return n;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Sends the same kind of command to every worker, then collects all replies in order. */
  static List<JsonNode> all(
      List<WorkerProcess> workers,
      java.util.function.IntFunction<ObjectNode> command,
      Duration timeout) {
    for (int i = 0; i < workers.size(); i++) workers.get(i).send(command.apply(i));
    List<JsonNode> out = new ArrayList<>();
    for (WorkerProcess w : workers) out.add(w.reply(timeout));
    return out;
  }

  static ObjectNode command(String name) {
    return JSON.createObjectNode().put("cmd", name);
  }

  @Override
  public void close() {
    in.println("{\"cmd\":\"exit\"}");
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
