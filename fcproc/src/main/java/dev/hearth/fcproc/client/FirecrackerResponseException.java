package dev.hearth.fcproc.client;

import dev.hearth.fcproc.FcprocException;

/**
 * Firecracker answered with something the API does not define: a status other than 200, 204 and
 * 400, a malformed HTTP response, or a body that is not the JSON the endpoint promises.
 */
public class FirecrackerResponseException extends FcprocException {
  private static final long serialVersionUID = 1L;

  /** Status used when the response had no parsable status line. */
  public static final int NO_STATUS = -1;

  private final int status;
  private final String responseBody;

  public FirecrackerResponseException(
      String method, String path, int status, String responseBody, String problem) {
    super(
        "unexpected answer from firecracker to "
            + method
            + " "
            + path
            + ": "
            + problem
            + (status == NO_STATUS ? "" : " (status " + status + ")")
            + (responseBody.isEmpty() ? "" : ", body: " + responseBody));
    this.status = status;
    this.responseBody = responseBody;
  }

  /** The HTTP status, or {@link #NO_STATUS}. */
  public int status() {
    return status;
  }

  public String responseBody() {
    return responseBody;
  }
}
