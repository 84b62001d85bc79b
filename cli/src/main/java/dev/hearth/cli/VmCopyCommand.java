package dev.hearth.cli;

import dev.hearth.core.Names;
import dev.hearth.core.TreeDeleter;
import dev.hearth.daemon.Hearth;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth vm cp SRC DST}, one side {@code VM:PATH}: files and folders both ways as a tar
 * stream, docker cp's rules for DST (an existing folder receives SRC inside it under its own name;
 * otherwise SRC becomes DST, whose parent folder must exist), modes kept. The host side is the
 * host's tar run as the CLI's user.
 */
@Command(
    name = "cp",
    description = {
      "Copy files or folders between the host and a running VM (modes kept).",
      "One side is VM:PATH. If DST is an existing folder SRC is copied into it, else SRC"
          + " becomes DST.",
      "Examples: hearth vm cp ./src demo:/root/src    hearth vm cp demo:/var/log/syslog ."
    })
final class VmCopyCommand implements Callable<Integer> {

  @ParentCommand VmCommand vm;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SRC", description = "A host path or VM:PATH.")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "A host path or VM:PATH.")
  String destination;

  /** A path in a guest: {@code VM:PATH}. */
  record GuestPath(String vm, String path) {
    /** {@code VM:PATH} when the text starts with a VM name or id prefix and a colon. */
    static Optional<GuestPath> parse(String text) {
      int colon = text.indexOf(':');
      if (colon <= 0) {
        return Optional.empty();
      }
      String vm = text.substring(0, colon);
      return Names.isValid(vm)
          ? Optional.of(new GuestPath(vm, text.substring(colon + 1)))
          : Optional.empty();
    }
  }

  /** A copy that cannot be done; the message names the path and why. */
  static final class CopyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CopyException(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    Optional<GuestPath> from = GuestPath.parse(source);
    Optional<GuestPath> to = GuestPath.parse(destination);
    if (from.isPresent() == to.isPresent()) {
      throw new ParameterException(
          spec.commandLine(),
          "one of SRC and DST must be VM:PATH and the other a host path (a host path with a"
              + " colon: write it as ./NAME)");
    }
    GuestPath guest = from.orElseGet(to::get);
    if (guest.path().isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "give a path after '" + guest.vm() + ":', e.g. " + guest.vm() + ":/root");
    }
    long bytes = to.isPresent() ? toGuest(Path.of(source), to.get()) : fromGuest(from.get());
    HearthCommand hearth = vm.hearth;
    if (hearth.json()) {
      hearth.printJson(Json.object().put("bytes", bytes));
    } else {
      hearth.say("copied " + source + " to " + destination);
    }
    return 0;
  }

  private long toGuest(Path hostSource, GuestPath guest) throws InterruptedException {
    Path absolute = hostSource.toAbsolutePath().normalize();
    if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      throw new CopyException("no such file or folder: " + hostSource);
    }
    if (absolute.getParent() == null) {
      throw new CopyException("cannot copy the root folder; copy what is inside it instead");
    }
    String name = absolute.getFileName().toString();
    HearthCommand hearth = vm.hearth;
    try (Hearth api = hearth.hearth();
        HostTar.Packing packing = hearth.env().tar().pack(absolute.getParent(), name)) {
      long bytes = api.vms().copyIn(guest.vm(), guest.path(), name, packing.archive());
      packing.finish();
      return bytes;
    }
  }

  private long fromGuest(GuestPath guest) throws InterruptedException {
    String name = baseName(guest.path());
    Path target = Path.of(destination).toAbsolutePath().normalize();
    boolean intoFolder = Files.isDirectory(target);
    Path extractInto;
    if (intoFolder) {
      extractInto = target;
    } else {
      if (destination.endsWith("/")) {
        throw new CopyException("no such folder: " + destination);
      }
      Path parent = target.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new CopyException("no such folder: " + (parent == null ? destination : parent));
      }
      try {
        extractInto = Files.createTempDirectory(parent, ".hearth-cp.");
      } catch (IOException e) {
        throw new CopyException("cannot create a temporary folder in " + parent + ": " + e);
      }
    }
    HearthCommand hearth = vm.hearth;
    try {
      long result;
      try (Hearth api = hearth.hearth();
          HostTar.Unpacking unpacking = hearth.env().tar().unpack(extractInto)) {
        result = api.vms().copyOut(guest.vm(), guest.path(), unpacking.archive());
        unpacking.finish();
      }
      if (!intoFolder) {
        moveInPlace(extractInto.resolve(name), target);
      }
      return result;
    } finally {
      if (!intoFolder) {
        deleteTree(extractInto);
      }
    }
  }

  /** Makes the extracted entry DST: a file replaces a file; a folder never replaces a file. */
  private void moveInPlace(Path extracted, Path target) {
    if (!Files.exists(extracted, LinkOption.NOFOLLOW_LINKS)) {
      throw new CopyException("the archive from the VM held no entry " + extracted.getFileName());
    }
    if (Files.isDirectory(extracted, LinkOption.NOFOLLOW_LINKS)
        && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new CopyException("cannot overwrite the file " + destination + " with a folder");
    }
    try {
      Files.move(extracted, target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new CopyException("cannot move the copy into place at " + target + ": " + e);
    }
  }

  /** The last name of a guest path: {@code /var/log/} -> {@code log}. */
  private String baseName(String path) {
    String trimmed = path.replaceAll("/+$", "");
    String name = trimmed.substring(trimmed.lastIndexOf('/') + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new ParameterException(
          spec.commandLine(), "'" + path + "' names no file or folder to copy; give its name");
    }
    return name;
  }

  private static void deleteTree(Path root) {
    try {
      TreeDeleter.delete(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the temporary folder " + root, e);
    }
  }
}
