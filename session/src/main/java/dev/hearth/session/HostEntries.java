package dev.hearth.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/** What {@link TarEntries} asks of the host's files: what is at a path, and the modes it sets. */
final class HostEntries {
  private HostEntries() {}

  /** What is at {@code path} itself (a link is not followed); empty when nothing is. */
  static Optional<BasicFileAttributes> attributes(Path path) throws IOException {
    try {
      return Optional.of(
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The permission bits of a tar mode; setuid, setgid and sticky bits never pass. */
  static Set<PosixFilePermission> permissions(int mode) {
    int bits = mode & 0777;
    StringBuilder text = new StringBuilder(9);
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      text.append((bits & (0400 >> i)) != 0 ? letters.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(text.toString());
  }
}
