package dev.hearth.qemu;

import dev.hearth.fcproc.QemuAccel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The launcher's command line, read the way firecracker reads its own: {@code --api-sock}, {@code
 * --id}, {@code --version}, {@code --help}; plus where QEMU is and which accelerator to use, also
 * from the environment ({@value #ACCEL_ENV}, {@value #QEMU_ENV}) since hearth passes only
 * firecracker's flags.
 */
record LauncherArgs(
    Path apiSocket, String instanceId, Path qemuBinary, QemuAccel accel, Mode mode) {
  static final String ACCEL_ENV = QemuAccel.ENV;
  static final String QEMU_ENV = "HEARTH_QEMU_BIN";
  static final Path DEFAULT_API_SOCKET = Path.of("/run/firecracker.socket");
  static final String DEFAULT_ID = "anonymous-instance";
  static final Path DEFAULT_QEMU = Path.of("qemu-system-x86_64");
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  enum Mode {
    RUN,
    VERSION,
    HELP
  }

  static final String USAGE =
      String.join(
          "\n",
          "hearth-qemu-firecracker: Firecracker's API, with the VM booted under QEMU.",
          "",
          "Usage: hearth-qemu-firecracker [--api-sock <path>] [--id <id>] [--accel auto|kvm|tcg]",
          "                               [--qemu <qemu-system-x86_64>] | --version | --help",
          "",
          "  --api-sock <path>  the API socket (default " + DEFAULT_API_SOCKET + ")",
          "  --id <id>          the instance id: 1 to 64 letters, digits and '-'",
          "  --accel <a>        kvm, tcg (software emulation) or auto (kvm when /dev/kvm opens",
          "                     and is not PVM's); default $" + ACCEL_ENV + ", else auto",
          "  --qemu <path>      the QEMU binary; default $" + QEMU_ENV + ", else " + DEFAULT_QEMU,
          "");

  /** Thrown for a command line firecracker would refuse; the message is what it prints. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static LauncherArgs parse(String[] args, Map<String, String> env) throws UsageException {
    Path socket = DEFAULT_API_SOCKET;
    String id = DEFAULT_ID;
    Optional<String> accel = Optional.ofNullable(env.get(ACCEL_ENV)).filter(s -> !s.isBlank());
    String accelSource = ACCEL_ENV;
    Path qemu =
        Optional.ofNullable(env.get(QEMU_ENV))
            .filter(s -> !s.isBlank())
            .map(Path::of)
            .orElse(DEFAULT_QEMU);
    Mode mode = Mode.RUN;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--version" -> mode = Mode.VERSION;
        case "--help", "-h" -> mode = Mode.HELP;
        case "--api-sock" -> socket = Path.of(value(args, ++i, arg));
        case "--id" -> id = value(args, ++i, arg);
        case "--accel" -> {
          accel = Optional.of(value(args, ++i, arg));
          accelSource = "--accel";
        }
        case "--qemu" -> qemu = Path.of(value(args, ++i, arg));
        default ->
            throw new UsageException(
                "Arguments parsing error: Found argument '"
                    + arg
                    + "' which wasn't expected, or isn't valid in this context.");
      }
    }
    if (mode == Mode.RUN && !INSTANCE_ID.matcher(id).matches()) {
      throw new UsageException(
          "Invalid instance ID: " + id + " (1 to 64 ASCII letters, digits and '-').");
    }
    String source = accelSource;
    QemuAccel parsedAccel = QemuAccel.AUTO;
    if (accel.isPresent()) {
      String text = accel.get();
      parsedAccel =
          QemuAccel.parse(text)
              .orElseThrow(
                  () ->
                      new UsageException(
                          "Arguments parsing error: "
                              + source
                              + " is '"
                              + text
                              + "'; expected auto, kvm or tcg."));
    }
    return new LauncherArgs(socket, id, qemu, parsedAccel, mode);
  }

  private static String value(String[] args, int i, String flag) throws UsageException {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new UsageException(
          "Arguments parsing error: The argument '"
              + flag
              + " <"
              + flag.substring(2)
              + ">' requires a value but none was supplied");
    }
    return args[i];
  }

  /** Where QEMU's QMP socket is bound, next to the API socket, until QEMU has connected. */
  Path qmpSocket() {
    return apiSocket.resolveSibling(apiSocket.getFileName() + ".qmp");
  }
}
