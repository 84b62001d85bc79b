package dev.hearth.fcproc.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link HostSockets} from {@code /proc}. */
final class ProcNetSockets implements HostSockets {
  private static final Path PROC_NET = Path.of("/proc/net");
  private static final Path OWN_FDS = Path.of("/proc/self/fd");
  private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");

  @Override
  public List<BoundSocket> boundSockets() throws IOException {
    List<BoundSocket> sockets = new ArrayList<>();
    for (String protocol : List.of("udp", "udp6", "tcp", "tcp6")) {
      Path table = PROC_NET.resolve(protocol);
      // Without IPv6 the *6 tables are absent.
      if (Files.exists(table)) {
        sockets.addAll(ProcNet.parse(protocol, Files.readString(table, StandardCharsets.US_ASCII)));
      }
    }
    return sockets;
  }

  @Override
  public Set<Long> ownSocketInodes() throws IOException {
    Set<Long> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(OWN_FDS)) {
      for (Path fd : fds) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (NoSuchFileException e) {
          // Closed since the listing (the listing's own descriptor, for one).
          continue;
        }
        Matcher m = SOCKET_LINK.matcher(target);
        if (m.matches()) {
          inodes.add(Long.parseLong(m.group(1)));
        }
      }
    }
    return inodes;
  }
}
