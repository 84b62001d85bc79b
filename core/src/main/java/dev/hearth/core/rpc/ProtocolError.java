package dev.hearth.core.rpc;

/**
 * The errors the transport answers with by itself: JSON-RPC 2.0's own codes for a bad envelope, and
 * two codes of the implementation-defined server range (-32000 to -32099) for a connection refused
 * because the server is full or the peer is not authorised. A server's other errors are its own,
 * thrown by its {@link RequestHandler} as {@link RpcError}s.
 */
public enum ProtocolError {
  PARSE_ERROR(-32700, ""),
  INVALID_REQUEST(-32600, ""),
  METHOD_NOT_FOUND(-32601, ""),
  INVALID_PARAMS(-32602, ""),
  INTERNAL(-32603, "internal"),
  BUSY(-32003, "busy"),
  UNAUTHORIZED(-32005, "unauthorized");

  private final int code;
  private final String kind;

  ProtocolError(int code, String kind) {
    this.code = code;
    this.kind = kind;
  }

  public int code() {
    return code;
  }

  /** The {@code data.kind} string, or {@code ""} for JSON-RPC's envelope errors. */
  public String kind() {
    return kind;
  }

  public RpcError error(String message) {
    return new RpcError(code, kind, message);
  }
}
