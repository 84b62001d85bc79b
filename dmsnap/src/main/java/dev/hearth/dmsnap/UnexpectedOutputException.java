package dev.hearth.dmsnap;

import java.util.List;

/** A host command printed something hearth cannot read; the message names the command and text. */
public class UnexpectedOutputException extends DmsnapException {
  private static final long serialVersionUID = 1L;

  public UnexpectedOutputException(List<String> argv, String output, Throwable cause) {
    super(
        "cannot read the output of `" + String.join(" ", argv) + "`: " + abbreviate(output), cause);
  }

  private static String abbreviate(String output) {
    String s = output.strip();
    return s.length() <= 300 ? "'" + s + "'" : "'" + s.substring(0, 300) + "…'";
  }
}
