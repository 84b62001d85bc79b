package dev.hearth.fcproc.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The parts of the host that networking looks at or changes other than by running commands: which
 * programs are on PATH and the kernel's sysctl files. Tests give a fake.
 */
public interface HostNetworkEnvironment {

  /** The program's path when it is an executable file in a folder of PATH. */
  Optional<Path> findProgram(String name);

  /**
   * Writes a kernel setting, e.g. {@code net.ipv4.ip_forward} = {@code 1}.
   *
   * @throws HostNetworkException naming the file and value when it cannot be written
   */
  void writeSysctl(String key, String value);

  /** The real host: the process's PATH and /proc/sys. */
  static HostNetworkEnvironment system() {
    return system(System.getenv("PATH"), Path.of("/proc/sys"));
  }

  /** The real implementation on a given PATH and sysctl root (tests point it at a folder). */
  static HostNetworkEnvironment system(String path, Path procSys) {
    return new HostNetworkEnvironment() {
      @Override
      public Optional<Path> findProgram(String name) {
        if (path == null) {
          return Optional.empty();
        }
        for (String dir : path.split(":")) {
          if (!dir.isEmpty()) {
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
              return Optional.of(candidate);
            }
          }
        }
        return Optional.empty();
      }

      @Override
      public void writeSysctl(String key, String value) {
        Path file = procSys.resolve(key.replace('.', '/'));
        try {
          Files.write(file, (value + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          throw new HostNetworkException(
              "could not write " + value + " to " + file + " (" + key + "): " + e, e);
        }
      }
    };
  }
}
