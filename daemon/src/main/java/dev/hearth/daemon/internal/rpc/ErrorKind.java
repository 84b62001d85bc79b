package dev.hearth.daemon.internal.rpc;

import dev.hearth.core.rpc.ProtocolError;
import dev.hearth.core.rpc.RpcError;
import dev.hearth.daemon.HearthException;
import java.util.Optional;

/**
 * Every error the daemon answers with: the transport's own ({@link ProtocolError}: JSON-RPC's
 * envelope errors, which carry no {@code data.kind}, and {@code internal}, {@code busy}, {@code
 * unauthorized}), and the application errors, whose {@code data.kind} string and code are stable.
 */
public enum ErrorKind {
  PARSE_ERROR(ProtocolError.PARSE_ERROR),
  INVALID_REQUEST(ProtocolError.INVALID_REQUEST),
  METHOD_NOT_FOUND(ProtocolError.METHOD_NOT_FOUND),
  INVALID_PARAMS(ProtocolError.INVALID_PARAMS),
  INTERNAL(ProtocolError.INTERNAL),
  NOT_FOUND(-32001, "not_found"),
  CONFLICT(-32002, "conflict"),
  BUSY(ProtocolError.BUSY),
  PRECONDITION_FAILED(-32004, "precondition_failed"),
  UNAUTHORIZED(ProtocolError.UNAUTHORIZED),
  HOST_ERROR(-32006, "host_error"),
  TIMEOUT(-32007, "timeout");

  private final int code;
  private final String kind;

  ErrorKind(int code, String kind) {
    this.code = code;
    this.kind = kind;
  }

  ErrorKind(ProtocolError transport) {
    this(transport.code(), transport.kind());
  }

  public int code() {
    return code;
  }

  /** The {@code data.kind} string, or {@code ""} for protocol errors. */
  public String kind() {
    return kind;
  }

  /**
   * The one mapping between the typed API's kinds and the wire's codes: the error a {@link
   * HearthException} of {@code kind} is answered with. {@code INVALID} is -32602 (no {@code
   * data.kind}, as for a malformed request); the client-side kinds never come from the daemon.
   */
  public static ErrorKind of(HearthException.Kind kind) {
    return switch (kind) {
      case INVALID -> INVALID_PARAMS;
      case NOT_FOUND -> NOT_FOUND;
      case CONFLICT -> CONFLICT;
      case BUSY -> BUSY;
      case PRECONDITION_FAILED -> PRECONDITION_FAILED;
      case UNAUTHORIZED -> UNAUTHORIZED;
      case HOST_ERROR -> HOST_ERROR;
      case TIMEOUT -> TIMEOUT;
      case INTERNAL, UNAVAILABLE, PROTOCOL, CANCELLED -> INTERNAL;
    };
  }

  /** The reverse of {@link #of}: the kind of an error the daemon answered with, by its code. */
  public static Optional<HearthException.Kind> kindOf(int code) {
    return switch (code) {
      case -32602 -> Optional.of(HearthException.Kind.INVALID);
      case -32603 -> Optional.of(HearthException.Kind.INTERNAL);
      case -32001 -> Optional.of(HearthException.Kind.NOT_FOUND);
      case -32002 -> Optional.of(HearthException.Kind.CONFLICT);
      case -32003 -> Optional.of(HearthException.Kind.BUSY);
      case -32004 -> Optional.of(HearthException.Kind.PRECONDITION_FAILED);
      case -32005 -> Optional.of(HearthException.Kind.UNAUTHORIZED);
      case -32006 -> Optional.of(HearthException.Kind.HOST_ERROR);
      case -32007 -> Optional.of(HearthException.Kind.TIMEOUT);
      default -> Optional.empty();
    };
  }

  /** The wire error a typed failure is answered with, message unchanged. */
  public static RpcError toWire(HearthException e) {
    return of(e.kind()).error(e.getMessage());
  }

  /** The exception a handler throws to answer with this error. */
  public RpcError error(String message) {
    return new RpcError(code, kind, message);
  }
}
