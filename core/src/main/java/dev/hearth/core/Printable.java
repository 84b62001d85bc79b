package dev.hearth.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;

/**
 * hearth's one escaper of text for messages and listings: control characters as {@code \xNN} and
 * bidirectional formatting characters as a backslash, u and four hex digits, so that a hostile name
 * or command cannot garble a message or a terminal. For a stream of guest output shown on a
 * terminal (console and session logs), {@link #terminalFilter()} strips escape sequences and
 * control characters instead.
 */
public final class Printable {
  /** How many code points {@link #of(String)} keeps. */
  public static final int MAX_CODE_POINTS = 80;

  private Printable() {}

  /** The text escaped, cut after {@link #MAX_CODE_POINTS} code points with {@code …}. */
  public static String of(String s) {
    String escaped = escape(s.codePoints().limit(MAX_CODE_POINTS));
    return s.codePointCount(0, s.length()) > MAX_CODE_POINTS ? escaped + '…' : escaped;
  }

  /** The whole text escaped, uncut. */
  public static String escape(String s) {
    return escape(s.codePoints());
  }

  private static String escape(IntStream codePoints) {
    StringBuilder sb = new StringBuilder();
    codePoints.forEach(
        c -> {
          if (Character.isISOControl(c)) {
            sb.append(String.format("\\x%02x", c));
          } else if (isBidiControl(c)) {
            sb.append(String.format("\\u%04x", c));
          } else {
            sb.appendCodePoint(c);
          }
        });
    return sb.toString();
  }

  /**
   * Whether a code point is one of Unicode's bidirectional formatting characters (the marks, the
   * embeddings and overrides, the isolates): shown as they are, a hostile name could make a
   * terminal draw the text after it in another order ("Trojan Source").
   */
  public static boolean isBidiControl(int c) {
    return c == 0x061c
        || c == 0x200e
        || c == 0x200f
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069);
  }

  /** A new {@link TerminalFilter}: one per stream, as it keeps state across chunks. */
  public static TerminalFilter terminalFilter() {
    return new TerminalFilter();
  }

  /**
   * Guest bytes made safe for a terminal, chunk by chunk (a sequence or a UTF-8 character may be
   * split between chunks): the output is UTF-8 (bytes that are not become U+FFFD) with every escape
   * sequence removed, whole: CSI ({@code ESC [} or U+009B, up to its final byte), OSC, DCS, SOS, PM
   * and APC strings (up to BEL or ST, or a newline, so that an unterminated one cannot hide the
   * rest of a log), and the other {@code ESC} sequences (intermediates and a final byte); the other
   * C1 controls and every C0 control but newline and tab (carriage return, backspace and DEL
   * included: they let a line overwrite what the terminal shows) are dropped. Not thread-safe.
   */
  public static final class TerminalFilter {
    private static final int ESC = 0x1b;

    private enum State {
      TEXT,
      ESCAPE,
      ESCAPE_INTERMEDIATE,
      CSI,
      STRING,
      STRING_ESCAPE
    }

    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] pending = new byte[0];
    private char highSurrogate;
    private State state = State.TEXT;

    private TerminalFilter() {}

    /** The chunk without escape sequences and controls (possibly empty). */
    public byte[] filter(byte[] chunk) {
      ByteBuffer in = ByteBuffer.allocate(pending.length + chunk.length);
      in.put(pending).put(chunk).flip();
      byte[] out = decode(in, false);
      pending = new byte[in.remaining()];
      in.get(pending);
      return out;
    }

    /** What is left at the end of the stream: an incomplete UTF-8 character as U+FFFD. */
    public byte[] finish() {
      byte[] out = decode(ByteBuffer.wrap(pending), true);
      pending = new byte[0];
      return out;
    }

    private byte[] decode(ByteBuffer in, boolean endOfInput) {
      // UTF-8 never decodes to more chars than it has bytes, replacements included.
      CharBuffer chars = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, chars, endOfInput);
      if (endOfInput) {
        decoder.flush(chars);
        decoder.reset();
      }
      chars.flip();
      StringBuilder text = new StringBuilder(chars.remaining());
      while (chars.hasRemaining()) {
        char c = chars.get();
        if (Character.isHighSurrogate(c)) {
          highSurrogate = c;
          continue;
        }
        int codePoint = c;
        if (Character.isLowSurrogate(c) && highSurrogate != 0) {
          codePoint = Character.toCodePoint(highSurrogate, c);
        }
        highSurrogate = 0;
        accept(codePoint, text);
      }
      return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void accept(int c, StringBuilder text) {
      switch (state) {
        case TEXT -> text(c, text);
        case ESCAPE -> {
          if (c == '[') {
            state = State.CSI;
          } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
            state = State.STRING;
          } else if (c >= 0x20 && c <= 0x2f) {
            state = State.ESCAPE_INTERMEDIATE;
          } else if (c >= 0x30 && c <= 0x7e) {
            state = State.TEXT;
          } else if (c != ESC) {
            state = State.TEXT;
            text(c, text);
          }
        }
        case ESCAPE_INTERMEDIATE -> {
          if (c >= 0x30 && c <= 0x7e) {
            state = State.TEXT;
          } else if (c == ESC) {
            state = State.ESCAPE;
          } else if (c < 0x20 || c > 0x2f) {
            state = State.TEXT;
            text(c, text);
          }
        }
        case CSI -> {
          if (c >= 0x40 && c <= 0x7e) {
            state = State.TEXT;
          } else if (c == ESC) {
            state = State.ESCAPE;
          } else if (c < 0x20 || c > 0x3f) {
            state = State.TEXT;
            text(c, text);
          }
        }
        case STRING -> {
          if (c == 0x07 || c == 0x9c) {
            state = State.TEXT;
          } else if (c == ESC) {
            state = State.STRING_ESCAPE;
          } else if (c == '\n') {
            state = State.TEXT;
            text(c, text);
          }
        }
        case STRING_ESCAPE -> {
          if (c == '\\') {
            state = State.TEXT;
          } else {
            state = State.ESCAPE;
            accept(c, text);
          }
        }
      }
    }

    private void text(int c, StringBuilder text) {
      if (c == ESC) {
        state = State.ESCAPE;
      } else if (c == 0x9b) {
        state = State.CSI;
      } else if (c == 0x9d || c == 0x90 || c == 0x98 || c == 0x9e || c == 0x9f) {
        state = State.STRING;
      } else if (c == '\n' || c == '\t' || !Character.isISOControl(c)) {
        text.appendCodePoint(c);
      }
    }
  }
}
