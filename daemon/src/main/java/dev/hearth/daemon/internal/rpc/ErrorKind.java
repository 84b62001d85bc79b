package dev.hearth.daemon.internal.rpc;

import dev.hearth.daemon.RpcException;

/**
 * Every error the daemon answers with: the JSON-RPC protocol errors, which carry no {@code
 * data.kind}, and the application errors, whose {@code data.kind} string and code are stable.
 */
public enum ErrorKind {
  PARSE_ERROR(-32700, ""),
  INVALID_REQUEST(-32600, ""),
  METHOD_NOT_FOUND(-32601, ""),
  INVALID_PARAMS(-32602, ""),
  INTERNAL(-32603, "internal"),
  NOT_FOUND(-32001, "not_found"),
  CONFLICT(-32002, "conflict"),
  BUSY(-32003, "busy"),
  PRECONDITION_FAILED(-32004, "precondition_failed"),
  UNAUTHORIZED(-32005, "unauthorized"),
  HOST_ERROR(-32006, "host_error"),
  TIMEOUT(-32007, "timeout");

  private final int code;
  private final String kind;

  ErrorKind(int code, String kind) {
    this.code = code;
    this.kind = kind;
  }

  public int code() {
    return code;
  }

  /** The {@code data.kind} string, or {@code ""} for protocol errors. */
  public String kind() {
    return kind;
  }

  /** The exception a handler throws to answer with this error. */
  public RpcException error(String message) {
    return new RpcException(code, kind, message);
  }
}
