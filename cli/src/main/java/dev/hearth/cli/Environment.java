package dev.hearth.cli;

import dev.hearth.core.Clock;
import dev.hearth.daemon.Hearth;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the CLI takes from its surroundings besides arguments: environment variables, whether stdout
 * is a terminal, the clock, Ctrl-C, the way to hearth, the terminal with the standard streams as
 * bytes, the host's tar for vm cp, and the desktop's browser for ui --open. Injected so that tests
 * control all of them.
 */
record Environment(
    Map<String, String> variables,
    boolean interactive,
    Clock clock,
    Interrupts interrupts,
    HearthConnector hearths,
    Terminal terminal,
    HostTar tar,
    Browser browser) {
  Environment {
    variables = Map.copyOf(variables);
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(interrupts, "interrupts");
    Objects.requireNonNull(hearths, "hearths");
    Objects.requireNonNull(terminal, "terminal");
    Objects.requireNonNull(tar, "tar");
    Objects.requireNonNull(browser, "browser");
  }

  /**
   * The real clock, shutdown hooks for Ctrl-C, Hearth.connect for the daemon, and the process's own
   * terminal.
   */
  Environment(Map<String, String> variables, boolean interactive) {
    this(
        variables,
        interactive,
        Clock.system(),
        Interrupts.shutdownHooks(),
        Hearth::connect,
        SystemTerminal.system(),
        new SystemHostTar(),
        new SystemBrowser(variables));
  }

  Environment withClock(Clock clock) {
    return new Environment(
        variables, interactive, clock, interrupts, hearths, terminal, tar, browser);
  }

  Environment withInterrupts(Interrupts interrupts) {
    return new Environment(
        variables, interactive, clock, interrupts, hearths, terminal, tar, browser);
  }

  Environment withHearths(HearthConnector hearths) {
    return new Environment(
        variables, interactive, clock, interrupts, hearths, terminal, tar, browser);
  }

  Environment withTerminal(Terminal terminal) {
    return new Environment(
        variables, interactive, clock, interrupts, hearths, terminal, tar, browser);
  }

  Environment withTar(HostTar tar) {
    return new Environment(
        variables, interactive, clock, interrupts, hearths, terminal, tar, browser);
  }

  Environment withBrowser(Browser browser) {
    return new Environment(
        variables, interactive, clock, interrupts, hearths, terminal, tar, browser);
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
