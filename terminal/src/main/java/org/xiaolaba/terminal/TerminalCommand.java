package org.xiaolaba.terminal;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.ffmpeg.FfmpegLocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar xiaolaba-terminal.jar --server ws://HOST:PORT --token TOKEN}, or the same as
 * {@code java -jar xiaolaba-server.jar terminal ...}.
 */
@Command(
    name = "terminal",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a reference loudspeaker terminal: it keeps the day's plays on local disk, fetches their"
          + " audio ahead, and plays each at its start time by its own clock, link or no link.",
      "Without --audio-device the audio is decoded in real time and the samples dropped."
    })
public final class TerminalCommand implements Callable<Integer> {
  /** The terminal's own jar: runs until SIGTERM, like the server's {@code terminal} command. */
  public static void main(String[] args) {
    // Before anything logs: the terminal jar's own logging, unless one is chosen on the command
    // line.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "xiaolaba-terminal-logback.xml");
    }
    int code = new CommandLine(new TerminalCommand()).execute(args);
    if (code != 0) System.exit(code);
  }

  @Option(
      names = "--server",
      required = true,
      paramLabel = "URL",
      description = "The server, e.g. ws://127.0.0.1:8080 (wss:// behind TLS).")
  private URI server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:XIAOLABA_TERMINAL_TOKEN}",
      description = "This terminal's token (role terminal). Default: $XIAOLABA_TERMINAL_TOKEN.")
  private String token;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      defaultValue = "./terminal-data",
      description = "Where the schedule, offsets and audio are kept (default: ${DEFAULT-VALUE}).")
  private Path data;

  @Option(
      names = "--audio-device",
      description = "Play through the default sound device instead of decoding to nowhere.")
  private boolean audioDevice;

  @Option(
      names = "--volume",
      paramLabel = "PERCENT",
      defaultValue = "80",
      description = "Output volume, 0 to 100 (default: ${DEFAULT-VALUE}).")
  private int volume;

  @Option(
      names = "--ffmpeg",
      paramLabel = "PATH",
      description =
          "The ffmpeg to decode with. Default: ffmpeg on PATH if it runs, else the bundled one.")
  private Path ffmpeg;

  @Override
  public Integer call() throws InterruptedException {
    TerminalConfig config;
    FfmpegBinaries binaries;
    try {
      config = new TerminalConfig(server, token, data, volume);
      Settings.Ffmpeg defaults = new SettingsLoader().defaults().ffmpeg();
      Settings.Ffmpeg chosen =
          ffmpeg == null
              ? defaults
              : new Settings.Ffmpeg(
                  ffmpeg.toString(),
                  defaults.ffprobePath(),
                  defaults.workers(),
                  defaults.queueSize(),
                  defaults.timeout());
      binaries = new FfmpegLocator().locate(chosen, data.resolve("bin"));
    } catch (IllegalArgumentException | ConfigException e) {
      System.err.println("xiaolaba terminal cannot start: " + e.getMessage());
      return 2;
    }
    Clock clock = Clock.systemUTC();
    Path logDir = data.resolve("tmp");
    PlaybackSink sink =
        audioDevice
            ? FfmpegPlaybackSink.toAudioDevice(binaries.ffmpeg(), clock, logDir)
            : FfmpegPlaybackSink.discarding(binaries.ffmpeg(), clock, logDir);
    ReferenceTerminal terminal =
        new ReferenceTerminal(config, sink, clock, ReconnectPolicy.standard()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(terminal::close, "terminal-shutdown"));
    terminal.awaitClosed();
    return 0;
  }
}
