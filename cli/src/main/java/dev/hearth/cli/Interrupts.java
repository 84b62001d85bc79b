package dev.hearth.cli;

/**
 * Ctrl-C (or SIGTERM) while a command waits on the daemon. The JVM runs shutdown hooks and exits
 * (130 for SIGINT); a command registers what to say before that happens, e.g. how to watch again.
 */
interface Interrupts {
  /** The exit code of a process ended by SIGINT (128 + 2), which is what the JVM exits with. */
  int EXIT_CODE = 130;

  /** Runs {@code action} if the process is interrupted before the registration is closed. */
  Registration onInterrupt(Runnable action);

  /** Ends a registration; the action no longer runs. */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  /** The real one: a JVM shutdown hook per registration. */
  static Interrupts shutdownHooks() {
    return action -> {
      Thread hook = new Thread(action, "hearth-interrupt");
      Runtime.getRuntime().addShutdownHook(hook);
      return () -> {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // The JVM is already exiting and runs the hook; nothing left to undo.
        }
      };
    };
  }
}
