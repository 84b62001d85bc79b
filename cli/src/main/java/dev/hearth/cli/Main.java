package dev.hearth.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/** The {@code hearth} command: builds the commands a run needs and exits with its code. */
public final class Main {
  /** The JDK's selector provider on Linux, which every socket channel needs. */
  private static final String EPOLL_SELECTOR_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

  private static final String SELECTOR_PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
  private static final String PICOCLI_CLOSURES_PROPERTY = "picocli.disable.closures";
  private static final String PICOCLI_CONVERTER_EXCLUDES_PROPERTY = "picocli.converters.excludes";

  /**
   * Picocli's built-in converters for these packages, which no hearth option takes: registering
   * them loads and initialises java.sql's and java.time's classes (their formatters) on every run.
   */
  private static final String UNUSED_CONVERTERS = "java\\.sql\\..*,java\\.time\\..*";

  private Main() {}

  public static void main(String[] args) {
    avoidClassPathSearches();
    prepareSocketsMeanwhile();
    System.exit(commandLine(environment(), null, null, args).execute(args));
  }

  /** The process's own surroundings. */
  static Environment environment() {
    // System.console() is non-null only when stdin and stdout are terminals: close enough to
    // "a person is reading" for colour and pretty-printing.
    return new Environment(System.getenv(), System.console() != null);
  }

  /**
   * Keeps two needless searches, and picocli's unused converters, off every command. A class or
   * service that lib/ does not have is looked for in every jar there (over 40, each opened and its
   * directory read), which took longer than the rest of a short command: picocli looks for Groovy's
   * closure class (its own property turns that off; hearth's annotations hold no closures), and the
   * JDK looks for a selector provider service on the first socket (naming its usual Linux provider,
   * when it has it, skips the search; another JDK keeps its lookup).
   */
  static void avoidClassPathSearches() {
    if (System.getProperty(PICOCLI_CLOSURES_PROPERTY) == null) {
      System.setProperty(PICOCLI_CLOSURES_PROPERTY, "true");
    }
    if (System.getProperty(PICOCLI_CONVERTER_EXCLUDES_PROPERTY) == null) {
      System.setProperty(PICOCLI_CONVERTER_EXCLUDES_PROPERTY, UNUSED_CONVERTERS);
    }
    if (System.getProperty(SELECTOR_PROVIDER_PROPERTY) != null) {
      return;
    }
    try {
      Class.forName(EPOLL_SELECTOR_PROVIDER, false, null);
    } catch (ClassNotFoundException e) {
      return;
    }
    System.setProperty(SELECTOR_PROVIDER_PROPERTY, EPOLL_SELECTOR_PROVIDER);
  }

  /**
   * Sets up the JDK's Unix-domain sockets on another thread while picocli builds the command on
   * this one. Their first use initialises a {@code SecureRandom}, that is the security providers,
   * which took about a tenth of a short command's time on the main thread (bench/README.md). A
   * command that never connects loses nothing: the thread is a daemon and holds no resource.
   */
  static void prepareSocketsMeanwhile() {
    Thread thread = new Thread(Main::openAndCloseUnixSocket, "hearth-socket-setup");
    thread.setDaemon(true);
    thread.start();
  }

  private static void openAndCloseUnixSocket() {
    try {
      SocketChannel.open(StandardProtocolFamily.UNIX).close();
    } catch (IOException | UnsupportedOperationException e) {
      // The command's own connect meets the same failure and reports it.
    }
  }

  /**
   * The command tree as far as a run with {@code args} needs it (see {@link CommandTree}): it
   * answers {@code args} exactly as the whole tree would. {@code out} and {@code err} replace
   * stdout and stderr when not null, which is how tests capture what a command prints.
   */
  static CommandLine commandLine(Environment env, PrintWriter out, PrintWriter err, String[] args) {
    HearthCommand root = new HearthCommand(env);
    return configure(CommandTree.forArgs(root, args), root, env, out, err);
  }

  /** The whole command tree; {@code out} and {@code err} as above. */
  static CommandLine commandLine(Environment env, PrintWriter out, PrintWriter err) {
    HearthCommand root = new HearthCommand(env);
    return configure(CommandTree.whole(root), root, env, out, err);
  }

  /** Settings on the top command reach the subcommands present, so the tree is complete first. */
  private static CommandLine configure(
      CommandLine cli, HearthCommand root, Environment env, PrintWriter out, PrintWriter err) {
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    ErrorHandler errors = new ErrorHandler(root);
    cli.setExecutionExceptionHandler(errors);
    cli.setParameterExceptionHandler(errors);
    cli.setColorScheme(
        CommandLine.Help.defaultColorScheme(env.colourAllowed() ? Ansi.ON : Ansi.OFF));
    return cli;
  }
}
