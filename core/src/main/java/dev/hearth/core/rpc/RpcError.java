package dev.hearth.core.rpc;

import dev.hearth.core.CoreException;

/**
 * A JSON-RPC error to answer a request with: a handler throws it, and {@link JsonRpcProtocol}
 * writes {@code {"code", "message", "data": {"kind"}}} ({@code data} only when the kind is not
 * empty).
 */
public final class RpcError extends CoreException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String kind;

  /**
   * @param code the JSON-RPC error code
   * @param kind the stable {@code data.kind} string, or {@code ""} for none
   */
  public RpcError(int code, String kind, String message) {
    super(message);
    this.code = code;
    this.kind = kind;
  }

  public int code() {
    return code;
  }

  /** The {@code data.kind} string, or {@code ""} when the error carries none. */
  public String kind() {
    return kind;
  }
}
