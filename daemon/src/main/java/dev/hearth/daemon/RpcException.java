package dev.hearth.daemon;

/**
 * The daemon answered a request with a JSON-RPC error. {@link #code()} is the JSON-RPC code and
 * {@link #kind()} the stable application kind ({@code not_found}, {@code conflict}, ...), or {@code
 * ""} for protocol errors.
 */
public class RpcException extends DaemonException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String kind;

  public RpcException(int code, String kind, String message) {
    super(message);
    this.code = code;
    this.kind = kind;
  }

  public int code() {
    return code;
  }

  public String kind() {
    return kind;
  }
}
