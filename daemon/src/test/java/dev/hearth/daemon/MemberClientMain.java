package dev.hearth.daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A client run by {@link SocketMemberBoundaryTest} as an unprivileged member of the socket group:
 * the typed API over the socket, as the CLI uses it. Prints {@code OK <image>} or {@code ERR <kind>
 * <message>} and exits 0 either way.
 *
 * <p>{@code register SOCKET NAME KERNEL ROOTFS [INITRD]} or {@code build SOCKET NAME RUN_FILE}.
 */
public final class MemberClientMain {
  private MemberClientMain() {}

  public static void main(String[] args) throws InterruptedException {
    try (Hearth hearth = Hearth.connect(Path.of(args[1]))) {
      if (args[0].equals("register")) {
        Image image =
            hearth
                .images()
                .register(
                    new ImageRegistration(
                        args[2],
                        Path.of(args[3]),
                        Path.of(args[4]),
                        args.length > 5 ? Optional.of(Path.of(args[5])) : Optional.empty(),
                        Optional.empty(),
                        false));
        System.out.println("OK " + image.name());
      } else {
        ImageBuilding building =
            hearth
                .images()
                .build(
                    new ImageBuildSpec(
                        args[2],
                        Optional.empty(),
                        List.of(),
                        Optional.of(Path.of(args[3])),
                        OptionalLong.empty(),
                        Optional.empty()));
        System.out.println("OK " + building.op().id());
      }
    } catch (HearthException e) {
      System.out.println(
          "ERR " + e.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + e.getMessage());
    }
  }
}
