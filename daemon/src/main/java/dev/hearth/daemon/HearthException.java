package dev.hearth.daemon;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * Every failure of the typed API ({@link Hearth}), in-process and over the socket alike: a {@link
 * Kind} a program can act on and a message a person can. The daemon answers each kind with its own
 * JSON-RPC error code (the mapping is {@code internal.rpc.ErrorKind}), and the remote client turns
 * the code back into the kind, so both implementations throw the same kind and message. A failure
 * the daemon answered over the socket also carries the JSON-RPC code it came with ({@link
 * #wireCode()}), for a caller that reports the wire's own words (the CLI prints {@code -32601} for
 * a method the daemon does not know).
 */
public class HearthException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, as a caller would branch on it. */
  public enum Kind {
    /** A request value is not valid; the message names the field and the value. */
    INVALID("invalid"),
    NOT_FOUND("not_found"),
    /** The name is taken, or the target is busy with another operation. */
    CONFLICT("conflict"),
    /** The daemon is at its connection limit. */
    BUSY("busy"),
    /** The target is not in a state that allows the request (e.g. a running VM to delete). */
    PRECONDITION_FAILED("precondition_failed"),
    UNAUTHORIZED("unauthorized"),
    /** A host command, the VMM or the guest failed. */
    HOST_ERROR("host_error"),
    TIMEOUT("timeout"),
    /** A bug: the message says where the daemon's log has the details. */
    INTERNAL("internal"),
    /** Client side: no daemon answers on the socket. */
    UNAVAILABLE("unavailable"),
    /** Client side: the daemon speaks another protocol version, or sent a malformed reply. */
    PROTOCOL("protocol"),
    /** An operation was cancelled before it finished. */
    CANCELLED("cancelled");

    private final String wireName;

    Kind(String wireName) {
      this.wireName = wireName;
    }

    /** The lowercase name, as the daemon's {@code data.kind} spells it. */
    public String wireName() {
      return wireName;
    }
  }

  private final Kind kind;
  private final Integer wireCode;

  public HearthException(Kind kind, String message) {
    this(kind, message, (Throwable) null);
  }

  public HearthException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.wireCode = null;
  }

  /** A failure the daemon answered with the JSON-RPC error {@code wireCode}. */
  public HearthException(Kind kind, String message, int wireCode) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.wireCode = wireCode;
  }

  public Kind kind() {
    return kind;
  }

  /**
   * The JSON-RPC error code of a failure the daemon answered over the socket; empty for one raised
   * in this process (in-process calls, or the client's own: no daemon, a malformed reply).
   */
  public OptionalInt wireCode() {
    return wireCode == null ? OptionalInt.empty() : OptionalInt.of(wireCode);
  }

  public static HearthException invalid(String message) {
    return new HearthException(Kind.INVALID, message);
  }

  public static HearthException notFound(String message) {
    return new HearthException(Kind.NOT_FOUND, message);
  }

  public static HearthException conflict(String message) {
    return new HearthException(Kind.CONFLICT, message);
  }

  public static HearthException busy(String message) {
    return new HearthException(Kind.BUSY, message);
  }

  public static HearthException preconditionFailed(String message) {
    return new HearthException(Kind.PRECONDITION_FAILED, message);
  }

  public static HearthException hostError(String message) {
    return new HearthException(Kind.HOST_ERROR, message);
  }

  public static HearthException timeout(String message) {
    return new HearthException(Kind.TIMEOUT, message);
  }
}
