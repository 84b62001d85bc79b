package dev.hearth.cli;

import java.util.Map;
import java.util.Optional;

/**
 * What the CLI takes from its surroundings besides arguments: environment variables, and whether
 * stdout is a terminal. Injected so that tests control both.
 */
record Environment(Map<String, String> variables, boolean interactive) {
  Environment {
    variables = Map.copyOf(variables);
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
