package dev.hearth.dmsnap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Finding disk files in the VM folders, for reconcile. */
final class VmFolders {
  private VmFolders() {}

  /** The files called one of {@code names} directly inside each folder of {@code vmsDir}. */
  static List<Path> filesNamed(Path vmsDir, Set<String> names) {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> vms = Files.list(vmsDir)) {
      for (Path vm : vms.sorted().toList()) {
        for (String name : names.stream().sorted().toList()) {
          Path file = vm.resolve(name);
          if (Files.isRegularFile(file)) {
            found.add(file);
          }
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new DmsnapException(
          "cannot list the VM folders in " + vmsDir + ": " + e.getMessage(), e);
    }
    return found;
  }

  static boolean containsPath(Collection<Path> paths, Path p) {
    Path n = p.toAbsolutePath().normalize();
    return paths.stream().anyMatch(q -> q.toAbsolutePath().normalize().equals(n));
  }
}
