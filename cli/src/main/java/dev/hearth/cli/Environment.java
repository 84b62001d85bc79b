package dev.hearth.cli;

import dev.hearth.core.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the CLI takes from its surroundings besides arguments: environment variables, whether stdout
 * is a terminal, the clock, Ctrl-C, the way to the daemon for the vm and op commands, and the
 * terminal with the standard streams as bytes. Injected so that tests control all of them.
 */
record Environment(
    Map<String, String> variables,
    boolean interactive,
    Clock clock,
    Interrupts interrupts,
    DaemonConnection.Connector connector,
    Terminal terminal) {
  Environment {
    variables = Map.copyOf(variables);
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(interrupts, "interrupts");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(terminal, "terminal");
  }

  /**
   * The real clock, shutdown hooks for Ctrl-C, HearthClient for the daemon, and the process's own
   * terminal.
   */
  Environment(Map<String, String> variables, boolean interactive) {
    this(
        variables,
        interactive,
        Clock.system(),
        Interrupts.shutdownHooks(),
        ClientConnection::connect,
        SystemTerminal.system());
  }

  Environment withClock(Clock clock) {
    return new Environment(variables, interactive, clock, interrupts, connector, terminal);
  }

  Environment withInterrupts(Interrupts interrupts) {
    return new Environment(variables, interactive, clock, interrupts, connector, terminal);
  }

  Environment withConnector(DaemonConnection.Connector connector) {
    return new Environment(variables, interactive, clock, interrupts, connector, terminal);
  }

  Environment withTerminal(Terminal terminal) {
    return new Environment(variables, interactive, clock, interrupts, connector, terminal);
  }

  /** A variable's value; unset and empty are the same. */
  Optional<String> get(String name) {
    String value = variables.get(name);
    return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  /** Colour needs a terminal and no NO_COLOR (https://no-color.org); --no-color can still veto. */
  boolean colourAllowed() {
    return interactive && get("NO_COLOR").isEmpty();
  }
}
