package dev.hearth.session;

import dev.hearth.core.Printable;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Copies one file or folder in or out of a guest as a tar of one entry: POSIX sh scripts run as
 * {@code sh -c SCRIPT hearth-cp ARGS...} through {@link GuestExec}, the tar on the command's stdin
 * or stdout. A missing path or one of the wrong kind ends the script with one of the exit codes
 * below and a message on stderr, which becomes a {@link GuestCopyException}.
 */
public final class GuestCopy {
  /** Exit code: the path to pack does not exist. */
  public static final int SOURCE_MISSING = 3;

  /** Exit code: the destination's folder does not exist. */
  public static final int DESTINATION_MISSING = 4;

  /** Exit code: a folder would replace a file. */
  public static final int WRONG_KIND = 5;

  /** Packs {@code $1} as a tar of one entry, its base name, on stdout. */
  static final String PACK_SCRIPT =
      "src=$1\n"
          + "if [ ! -e \"$src\" ] && [ ! -L \"$src\" ]; then\n"
          + "  echo \"no such file or folder: $src\" >&2; exit "
          + SOURCE_MISSING
          + "\n"
          + "fi\n"
          + "dir=$(dirname -- \"$src\") && base=$(basename -- \"$src\") && cd -- \"$dir\" &&"
          + " exec tar -c -f - -- \"$base\"\n";

  /**
   * Unpacks a tar of one entry named {@code $2} from stdin so that it becomes {@code $1}, or lands
   * inside {@code $1} when that is a folder (docker cp's rules); ownership goes to root.
   */
  static final String UNPACK_SCRIPT =
      "dst=$1 name=$2\n"
          + "if [ -d \"$dst\" ]; then exec tar -x -p --no-same-owner -f - -C \"$dst\"; fi\n"
          + "case $dst in */) echo \"no such folder: $dst\" >&2; exit "
          + DESTINATION_MISSING
          + ";; esac\n"
          + "parent=$(dirname -- \"$dst\")\n"
          + "if [ ! -d \"$parent\" ]; then\n"
          + "  echo \"no such folder: $parent\" >&2; exit "
          + DESTINATION_MISSING
          + "\n"
          + "fi\n"
          + "tmp=$(mktemp -d \"$parent/.hearth-cp.XXXXXX\") || exit 1\n"
          + "trap 'rm -rf -- \"$tmp\"' EXIT\n"
          + "tar -x -p --no-same-owner -f - -C \"$tmp\" || exit 1\n"
          + "if [ ! -e \"$tmp/$name\" ] && [ ! -L \"$tmp/$name\" ]; then\n"
          + "  echo \"the archive holds no entry named $name\" >&2; exit 1\n"
          + "fi\n"
          + "if [ -d \"$tmp/$name\" ] && [ -e \"$dst\" ]; then\n"
          + "  echo \"cannot overwrite the file $dst with a folder\" >&2; exit "
          + WRONG_KIND
          + "\n"
          + "fi\n"
          + "mv -f -- \"$tmp/$name\" \"$dst\"\n";

  /** Most bytes of a copy script's messages (its stderr) read; past it the copy is stopped. */
  private static final int MESSAGE_CAP = 64 * 1024;

  /** Most characters of the script's messages in the error of a failed copy. */
  private static final int MESSAGE_SHOWN = 60;

  private final GuestExec exec;

  public GuestCopy(GuestExec exec) {
    this.exec = exec;
  }

  /**
   * Unpacks a tar of one entry named {@code name}, read from {@code tar}, to the guest's {@code
   * path} (inside it when it is a folder). Once {@code cancel} fires the guest command is ended.
   *
   * @return the bytes read from {@code tar}
   * @throws GuestCopyException when the destination is missing or of the wrong kind, or the script
   *     fails
   * @throws GuestSshException when the guest cannot be reached or the command not run to its end
   */
  public long toGuest(
      GuestTarget target, String path, String name, InputStream tar, Cancellation cancel)
      throws InterruptedException {
    long[] bytes = {0};
    BoundedOutput messages = messages(target);
    int code =
        exec.run(target, unpack(path, name), counting(tar, bytes), messages, messages, cancel);
    check(target, code, messages);
    return bytes[0];
  }

  /**
   * Writes the guest's {@code path} as a tar of one entry, its base name, to {@code tar}.
   *
   * @return the bytes written to {@code tar}
   * @throws GuestCopyException when the path does not exist or the script fails
   * @throws GuestSshException when the guest cannot be reached or the command not run to its end
   */
  public long fromGuest(GuestTarget target, String path, OutputStream tar, Cancellation cancel)
      throws InterruptedException {
    long[] bytes = {0};
    BoundedOutput messages = messages(target);
    int code =
        exec.run(
            target,
            pack(path),
            InputStream.nullInputStream(),
            counting(tar, bytes),
            messages,
            cancel);
    check(target, code, messages);
    return bytes[0];
  }

  private static BoundedOutput messages(GuestTarget target) {
    return new BoundedOutput(
        "the messages (stderr) of the copy script in VM " + target.vm(), MESSAGE_CAP);
  }

  /**
   * Copies the guest's {@code path} to the host's {@code destination} through {@link
   * GuestTarExtractor}: the archive the guest sends is checked entry by entry, never handed to a
   * host tar. Runs as the calling process's user, who owns what it writes.
   *
   * @return where the copy went and what was refused
   * @throws IllegalArgumentException when {@code path} names no file or folder ({@link #entryName})
   * @throws GuestCopyException when the path does not exist in the guest or the script fails
   * @throws GuestArchiveException when the destination cannot receive it, the archive passes a
   *     bound, or the host's filesystem fails
   * @throws GuestSshException when the guest cannot be reached or the command not run to its end
   */
  public Unpacked fromGuest(
      GuestTarget target, String path, Path destination, ArchiveLimits limits, Cancellation cancel)
      throws InterruptedException {
    String name = entryName(path);
    requirePath(path);
    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(destination, name, limits)) {
      BoundedOutput messages = messages(target);
      int code;
      try {
        code =
            exec.run(
                target,
                pack(path),
                InputStream.nullInputStream(),
                receiver.archive(),
                messages,
                cancel);
      } catch (GuestExecException e) {
        // A write the unpacking refused ends the command: the unpacking's failure is the cause.
        throw receiver.failure().map(RuntimeException.class::cast).orElse(e);
      }
      check(target, code, messages);
      return receiver.finish();
    }
  }

  /**
   * The name of the entry a copy of the guest's {@code path} holds: its last name, as {@code
   * basename} gives it ({@code /var/log/} -> {@code log}).
   *
   * @throws IllegalArgumentException when that is empty, {@code .} or {@code ..} (the path names no
   *     file or folder to copy)
   */
  public static String entryName(String path) {
    String trimmed = path.replaceAll("/+$", "");
    String name = trimmed.substring(trimmed.lastIndexOf('/') + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "'" + Printable.of(path) + "' names no file or folder to copy; give its name");
    }
    return name;
  }

  private static void check(GuestTarget target, int code, BoundedOutput messages) {
    if (code == 0) {
      return;
    }
    String where = " in VM " + target.vm();
    String message = messages.text().trim();
    String text = message.isEmpty() ? "exit code " + code : message;
    if (code == SOURCE_MISSING || code == DESTINATION_MISSING) {
      throw new GuestCopyException(GuestCopyException.Kind.NOT_FOUND, code, text + where);
    }
    if (code == WRONG_KIND) {
      throw new GuestCopyException(GuestCopyException.Kind.WRONG_KIND, code, text + where);
    }
    String shown = text.length() > MESSAGE_SHOWN ? text.substring(0, MESSAGE_SHOWN) + "…" : text;
    throw new GuestCopyException(
        GuestCopyException.Kind.FAILED,
        code,
        "copying" + where + " failed (exit code " + code + "): " + shown);
  }

  /** The command that writes the guest's {@code path} as a tar of one entry to its stdout. */
  public static ExecRequest pack(String path) {
    requirePath(path);
    return ExecRequest.of(List.of("sh", "-c", PACK_SCRIPT, "hearth-cp", path));
  }

  /**
   * The command that unpacks a tar of one entry {@code name} from its stdin to the guest's {@code
   * path} (inside it when it is a folder).
   *
   * @throws IllegalArgumentException when {@code name} is not one file name
   */
  public static ExecRequest unpack(String path, String name) {
    requirePath(path);
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.contains("/")
        || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "the entry name must be one file name (no '/', not '.' or '..'); got '" + name + "'");
    }
    return ExecRequest.of(List.of("sh", "-c", UNPACK_SCRIPT, "hearth-cp", path, name));
  }

  private static void requirePath(String path) {
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("the path must be non-empty and hold no NUL character");
    }
  }

  private static InputStream counting(InputStream in, long[] count) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          count[0]++;
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          count[0] += n;
        }
        return n;
      }
    };
  }

  private static OutputStream counting(OutputStream out, long[] count) {
    return new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count[0] += len;
      }
    };
  }
}
