package dev.hearth.session;

import java.util.List;

/**
 * The guest side of copying one file or folder in or out of a guest as a tar of one entry: POSIX sh
 * scripts run as {@code sh -c SCRIPT hearth-cp ARGS...} through {@link GuestExec}, the tar on the
 * command's stdin or stdout. A missing path or one of the wrong kind ends the script with one of
 * the exit codes below and a message on stderr.
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

  private GuestCopy() {}

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
}
