package org.xiaolaba.server;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import org.xiaolaba.terminal.TerminalCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar xiaolaba-server.jar [--config FILE]}: runs one node until SIGTERM; {@code ...
 * terminal --server URL --token TOKEN} runs a reference loudspeaker terminal instead.
 */
@Command(
    name = "xiaolaba-server",
    mixinStandardHelpOptions = true,
    version = "xiaolaba 0.1.0",
    description = "County media centre server: village loudspeakers and the county app.",
    subcommands = TerminalCommand.class)
public final class Main implements Callable<Integer> {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML settings; XIAOLABA_* environment variables override it.")
  private Path config;

  public static void main(String[] args) {
    int code = new CommandLine(new Main()).execute(args);
    if (code != 0) System.exit(code);
    // On success the event loop threads keep the process running until SIGTERM.
  }

  @Override
  public Integer call() {
    XiaolabaServer server;
    Settings settings;
    try {
      settings = new SettingsLoader().load(Optional.ofNullable(config), System.getenv());
      server = XiaolabaServer.start(settings);
    } catch (ConfigException e) {
      System.err.println("xiaolaba cannot start: " + e.getMessage());
      return 2;
    }
    server.generatedAdminToken().ifPresent(t -> printAdminToken(t, settings));
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown"));
    return 0;
  }

  /**
   * Shows a token generated on the first start once, on the console and never through the logger:
   * log files and log shippers do not get it. It is kept in {@code <dataDir>/admin-token} (0600).
   */
  private static void printAdminToken(String token, Settings settings) {
    System.out.println();
    System.out.println("=====================================================================");
    System.out.println(" Admin token (shown only this once; also kept, readable by this user");
    System.out.println(" only, in " + AdminTokenFile.path(settings.dataDir()) + "):");
    System.out.println("   " + token);
    System.out.println(" Use it as 'Authorization: Bearer <token>'. Set XIAOLABA_ADMIN_TOKEN");
    System.out.println(" to a secret of your own to replace it.");
    System.out.println("=====================================================================");
    System.out.println();
  }
}
