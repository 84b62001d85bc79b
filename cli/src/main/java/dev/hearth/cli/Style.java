package dev.hearth.cli;

/** Terminal colours, or plain text when colour is off. */
final class Style {
  enum Colour {
    RED("31"),
    GREEN("32"),
    YELLOW("33"),
    BOLD("1"),
    DIM("2");

    private final String sgr;

    Colour(String sgr) {
      this.sgr = sgr;
    }
  }

  private final boolean enabled;

  Style(boolean enabled) {
    this.enabled = enabled;
  }

  /** The text in the colour; unchanged when colour is off or {@code colour} is null. */
  String paint(String text, Colour colour) {
    if (!enabled || colour == null) {
      return text;
    }
    return "\u001b[" + colour.sgr + "m" + text + "\u001b[0m";
  }
}
