package dev.hearth.daemon.internal.imagebuild;

import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.imagemgr.BuildSpec;
import dev.hearth.imagemgr.ImageSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the files of {@code image.register} and {@code image.build} from their params: each file is
 * an open descriptor the client passed with the request ({@code <field>_fd}: its index, with an
 * optional {@code <field>_name} for messages), never a path the daemon would open with root's
 * rights (ARCHITECTURE.md, Decisions, "Files from clients"). A client that still sends the old path
 * field gets {@code invalid} naming the new one.
 */
public final class ClientFiles {
  /** Suffix of the param holding a passed descriptor's index. */
  public static final String FD = "_fd";

  /** Suffix of the param naming a passed file for messages. */
  public static final String NAME = "_name";

  /** The longest {@code <field>_name}: PATH_MAX. */
  static final int MAX_LABEL_BYTES = 4096;

  private ClientFiles() {}

  /**
   * Refuses the pre-issue-12 path param {@code field} when present, naming {@code replacement}.
   *
   * @param how how to send the file now, for the message
   */
  public static void refusePath(Params params, String field, String replacement, String how) {
    if (params.node(field).isPresent()) {
      throw params.invalid(
          field,
          "the daemon no longer opens files by path for its clients (it would read them as root);"
              + " send '"
              + replacement
              + "' instead: "
              + how);
    }
  }

  /** The message part saying how a file goes as a descriptor. */
  public static String descriptorHow(String field) {
    return "open the file yourself and pass the descriptor with the request over the Unix socket"
        + " (SCM_RIGHTS); '"
        + field
        + FD
        + "' is its index among the descriptors sent, '"
        + field
        + NAME
        + "' optionally names it in messages";
  }

  /** The file passed as {@code <field>_fd}; the caller closes it. */
  public static ImageSource required(Params params, String field) {
    return optional(params, field)
        .orElseThrow(
            () ->
                params.invalid(field + FD, params.method() + " needs it: " + descriptorHow(field)));
  }

  /** The file passed as {@code <field>_fd}, when that param is present; the caller closes it. */
  public static Optional<ImageSource> optional(Params params, String field) {
    if (params.node(field + FD).isEmpty()) {
      return Optional.empty();
    }
    int index = (int) params.longValue(field + FD, 0, 0, Integer.MAX_VALUE);
    String label =
        params
            .optionalString(field + NAME)
            .map(name -> checkedLabel(params, field + NAME, name))
            .orElse("the " + field + " passed as descriptor " + index);
    FileChannel channel;
    try {
      channel = params.stream().files().take(index);
    } catch (IllegalArgumentException e) {
      throw params.invalid(field + FD, e.getMessage() + "; " + descriptorHow(field));
    }
    return Optional.of(ImageSource.opened(label, channel));
  }

  /**
   * A file's name for messages: what a path may be (no NUL, at most {@link #MAX_LABEL_BYTES}
   * bytes), since messages and the image's manifest take it as a path.
   */
  private static String checkedLabel(Params params, String param, String label) {
    if (label.indexOf('\0') >= 0) {
      throw params.invalid(param, "a file name cannot hold a NUL character");
    }
    if (label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES) {
      throw params.invalid(param, "longer than " + MAX_LABEL_BYTES + " bytes, the longest path");
    }
    return label;
  }

  /**
   * The text of a {@code --run} script, read with the embedding process's rights, as a client reads
   * it before sending it (at most {@link BuildSpec#MAX_RUN_SCRIPT_BYTES}).
   */
  public static String readRunScript(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(BuildSpec.MAX_RUN_SCRIPT_BYTES + 1);
      if (bytes.length > BuildSpec.MAX_RUN_SCRIPT_BYTES) {
        throw HearthException.invalid(
            "run: "
                + file
                + " is larger than the limit of "
                + BuildSpec.MAX_RUN_SCRIPT_BYTES
                + " bytes for a --run script");
      }
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw HearthException.invalid("run: " + file + " is not UTF-8 text");
    } catch (IOException e) {
      throw HearthException.invalid("run: cannot read " + file + ": " + ioReason(e));
    }
  }

  /** Why a file could not be opened, in words. */
  public static String ioReason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
