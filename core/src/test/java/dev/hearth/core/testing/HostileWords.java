package dev.hearth.core.testing;

/**
 * Words that break naive quoting or escaping: quotes, expansions, control characters, non-ASCII, an
 * option-like word. Tests of anything that puts values into scripts or messages use them.
 */
public final class HostileWords {
  public static final String[] ALL = {
    "",
    "plain",
    "with spaces  and\ttabs",
    "it's",
    "'",
    "''''",
    "\"double\" quotes",
    "$HOME ${PATH} $(id) $((1+1))",
    "`id`",
    "back\\slash\\n",
    "new\nline\n",
    "\n",
    "glob * ? [a-z]",
    "; rm -rf / #",
    "non-ASCII: é ü 漢字 🙂",
    "-n",
    "'; echo pwned; '"
  };

  private HostileWords() {}
}
