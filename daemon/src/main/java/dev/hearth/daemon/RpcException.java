package dev.hearth.daemon;

/**
 * A JSON-RPC error on the wire: what the daemon's transport answers a request with, and what the
 * line client throws when it reads one. {@link #code()} is the JSON-RPC code and {@link #kind()}
 * the stable application kind ({@code not_found}, {@code conflict}, ...), or {@code ""} for
 * protocol errors.
 *
 * <p>Not a {@link HearthException}: its {@code kind()} is the wire's string, not the typed {@code
 * Kind}. The typed API never throws it; the remote hearth turns it into a {@link HearthException}
 * of the matching kind (message unchanged), keeping it as the cause. It stays public only while the
 * server's transport in this module throws it (see ARCHITECTURE.md, "Decisions").
 */
public class RpcException extends RuntimeException {
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
