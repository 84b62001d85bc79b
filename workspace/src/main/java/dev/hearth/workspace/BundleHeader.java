package dev.hearth.workspace;

import dev.hearth.core.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The header of a git bundle a guest sent, read strictly before git sees the file: version 2 (or 3
 * with only {@code @object-format=sha1}), prerequisites, and exactly one ref, {@value
 * WorkspaceScripts#EXPORT_REF}.
 *
 * @param tip the commit the ref names
 * @param prerequisites the commits the receiver must have
 */
public record BundleHeader(String tip, List<String> prerequisites) {
  /** Most bytes of a header: an export's has one ref and a few prerequisites. */
  static final int MAX_HEADER_BYTES = 64 * 1024;

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{40}");

  public BundleHeader {
    Objects.requireNonNull(tip, "tip");
    prerequisites = List.copyOf(prerequisites);
  }

  /**
   * @throws BundleRejectedException when the header is malformed, too long, of another version or
   *     object format, or names any ref but the export's
   */
  public static BundleHeader read(Path bundle) {
    byte[] head = new byte[MAX_HEADER_BYTES];
    int n;
    try (InputStream in = Files.newInputStream(bundle)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bundle " + bundle, e);
    }
    List<String> lines = new ArrayList<>();
    int start = 0;
    boolean ended = false;
    for (int i = 0; i < n; i++) {
      if (head[i] == '\n') {
        String line = new String(head, start, i - start, StandardCharsets.UTF_8);
        start = i + 1;
        if (line.isEmpty()) {
          ended = true;
          break;
        }
        lines.add(line);
      }
    }
    if (!ended) {
      throw rejected("its header does not end within " + (MAX_HEADER_BYTES >> 10) + " KiB");
    }
    String version = lines.isEmpty() ? "" : lines.get(0);
    int i = 1;
    if (version.equals("# v3 git bundle")) {
      while (i < lines.size() && lines.get(i).startsWith("@")) {
        if (!lines.get(i).equals("@object-format=sha1")) {
          throw rejected("it asks for '" + Printable.of(lines.get(i)) + "'");
        }
        i++;
      }
    } else if (!version.equals("# v2 git bundle")) {
      throw rejected("it is not a git bundle (version 2 or 3)");
    }
    List<String> prerequisites = new ArrayList<>();
    String tip = null;
    for (; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("-")) {
        String hash = line.substring(1).split(" ", 2)[0];
        if (!HASH.matcher(hash).matches()) {
          throw rejected("a prerequisite is not a commit hash");
        }
        prerequisites.add(hash);
        continue;
      }
      String[] parts = line.split(" ", 2);
      if (parts.length != 2 || !HASH.matcher(parts[0]).matches()) {
        throw rejected("a line of its header is neither a prerequisite nor a ref");
      }
      if (!parts[1].equals(WorkspaceScripts.EXPORT_REF) || tip != null) {
        throw rejected(
            "it carries the ref '"
                + Printable.of(parts[1])
                + "'; an export carries "
                + WorkspaceScripts.EXPORT_REF
                + " only, once");
      }
      tip = parts[0];
    }
    if (tip == null) {
      throw rejected("it carries no ref");
    }
    return new BundleHeader(tip, prerequisites);
  }

  static BundleRejectedException rejected(String why) {
    return new BundleRejectedException("the guest's export bundle was refused: " + why);
  }
}
