package dev.hearth.fcproc.client;

import dev.hearth.fcproc.FcprocException;

/**
 * Firecracker refused a request with {@code 400}: the message names the endpoint, the request body
 * and Firecracker's {@code fault_message}.
 */
public class FirecrackerApiException extends FcprocException {
  private static final long serialVersionUID = 1L;

  private final String method;
  private final String path;
  private final String requestBody;
  private final String faultMessage;

  public FirecrackerApiException(
      String method, String path, String requestBody, String faultMessage) {
    super(
        "firecracker refused "
            + method
            + " "
            + path
            + ": "
            + faultMessage
            + (requestBody.isEmpty() ? "" : " (request body: " + requestBody + ")"));
    this.method = method;
    this.path = path;
    this.requestBody = requestBody;
    this.faultMessage = faultMessage;
  }

  /** The HTTP method of the refused request. */
  public String method() {
    return method;
  }

  /** The request path, e.g. {@code /drives/rootfs}. */
  public String path() {
    return path;
  }

  /** The JSON body sent, or "" when the request had none. */
  public String requestBody() {
    return requestBody;
  }

  /** Firecracker's explanation. */
  public String faultMessage() {
    return faultMessage;
  }
}
