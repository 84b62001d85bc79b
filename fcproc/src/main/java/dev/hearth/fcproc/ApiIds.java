package dev.hearth.fcproc;

import java.util.regex.Pattern;

/** Ids that Firecracker takes in request paths and on its command line. */
final class ApiIds {
  /** Path ids ({@code /drives/{drive_id}}, {@code /network-interfaces/{iface_id}}). */
  static final Pattern PATH_ID = Pattern.compile("[A-Za-z0-9_]+");

  /** The {@code --id} argument: 1 to 64 letters, digits and '-'. */
  static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private ApiIds() {}

  static String requirePathId(String what, String id) {
    if (id == null || !PATH_ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "invalid "
              + what
              + " '"
              + id
              + "': Firecracker allows only ASCII letters, digits and '_'");
    }
    return id;
  }
}
