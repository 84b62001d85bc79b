package dev.hearth.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Names;
import dev.hearth.core.Printable;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.Hearth;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth vm cp SRC DST}, one side {@code VM:PATH}: files and folders both ways as a tar
 * stream, docker cp's rules for DST (an existing folder receives SRC inside it under its own name;
 * otherwise SRC becomes DST, whose parent folder must exist), modes kept. Host to VM: the host's
 * tar packs SRC as the CLI's user. VM to host: the API unpacks the VM's archive in this process,
 * checking every entry (the VM controls it), and the entries it refused are named in a warning.
 */
@Command(
    name = "cp",
    description = {
      "Copy files or folders between the host and a running VM (modes kept).",
      "One side is VM:PATH. If DST is an existing folder SRC is copied into it, else SRC"
          + " becomes DST.",
      "From a VM, only SRC and what is under it is written, owned by you: links leading out"
          + " of it, devices, FIFOs, setuid files and other paths are skipped, with a warning.",
      "Examples: hearth vm cp ./src demo:/root/src    hearth vm cp demo:/var/log/syslog ."
    })
final class VmCopyCommand implements Callable<Integer> {

  @ParentCommand VmCommand vm;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SRC", description = "A host path or VM:PATH.")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "A host path or VM:PATH.")
  String destination;

  @Option(
      names = "--max-size",
      paramLabel = "SIZE",
      description =
          "VM to host: the most the VM may send (its archive, and the files written),"
              + " e.g. 100G; default 64G.")
  String maxSize;

  /** Most refused entries named in the warning; the count covers the rest. */
  static final int REFUSED_SHOWN = 20;

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
    HearthCommand hearth = vm.hearth;
    ObjectNode result = Json.object();
    if (to.isPresent()) {
      result.put("bytes", toGuest(Path.of(source), to.get()));
    } else {
      CopiedOut copied = fromGuest(from.get());
      result.put("bytes", copied.bytes()).put("path", copied.path().toString());
      ArrayNode refused = result.putArray("refused");
      for (CopiedOut.Refused entry : copied.refused()) {
        refused.addObject().put("name", entry.name()).put("reason", entry.reason());
      }
      result.put("refused_count", copied.refusedCount());
    }
    if (hearth.json()) {
      hearth.printJson(result);
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

  /**
   * The guest's path to the host: the API unpacks the guest's archive in this process (as the
   * user), checking every entry; what it refused is named in a warning on stderr.
   */
  private CopiedOut fromGuest(GuestPath guest) throws InterruptedException {
    Path target = Path.of(destination).toAbsolutePath().normalize();
    if (destination.endsWith("/") && !Files.isDirectory(target)) {
      throw new CopyException("no such folder: " + destination);
    }
    if (!Files.isDirectory(target)) {
      Path parent = target.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new CopyException("no such folder: " + (parent == null ? destination : parent));
      }
    }
    HearthCommand hearth = vm.hearth;
    CopiedOut copied;
    try (Hearth api = hearth.hearth()) {
      copied = api.vms().copyOut(guest.vm(), guest.path(), target, limits());
    }
    warnRefused(copied);
    return copied;
  }

  private CopyLimits limits() {
    if (maxSize == null) {
      return CopyLimits.DEFAULT;
    }
    long bytes;
    try {
      bytes = Sizes.parse(maxSize);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--max-size: " + e.getMessage());
    }
    if (bytes < 1) {
      throw new ParameterException(spec.commandLine(), "--max-size must be 1 byte or more");
    }
    return CopyLimits.DEFAULT.withMaxBytes(bytes);
  }

  /** One warning line naming the refused entries (escaped: the guest chose them), at most 20. */
  private void warnRefused(CopiedOut copied) {
    if (copied.refusedCount() == 0) {
      return;
    }
    StringBuilder line =
        new StringBuilder("hearth: warning: ")
            .append(copied.refusedCount())
            .append(copied.refusedCount() == 1 ? " entry" : " entries")
            .append(" of the VM's archive not written: ");
    List<CopiedOut.Refused> shown = copied.refused().stream().limit(REFUSED_SHOWN).toList();
    for (int i = 0; i < shown.size(); i++) {
      CopiedOut.Refused refused = shown.get(i);
      line.append(i == 0 ? "" : "; ")
          .append('\'')
          .append(Printable.of(refused.name()))
          .append("' (")
          .append(refused.reason())
          .append(')');
    }
    long more = copied.refusedCount() - shown.size();
    if (more > 0) {
      line.append("; and ").append(more).append(" more");
    }
    PrintWriter err = vm.hearth.err();
    err.println(line);
    err.flush();
  }
}
