package dev.hearth.fcproc.internal;

import java.util.regex.Pattern;

/** Ids that Firecracker takes in request paths and on its command line. */
public final class ApiIds {
  /** Path ids ({@code /drives/{drive_id}}, {@code /network-interfaces/{iface_id}}). */
  public static final Pattern PATH_ID = Pattern.compile("[A-Za-z0-9_]+");

  /** The {@code --id} argument: 1 to 64 letters, digits and '-'. */
  public static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private ApiIds() {}

  public static String requirePathId(String what, String id) {
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
