package dev.hearth.daemon;

import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.SessionJson;
import java.util.List;

/**
 * The typed API's results as the daemon's JSON-RPC answers them (ARCHITECTURE.md's wire format),
 * for programs that print or store them, such as the CLI's {@code --json}. It is the same codec the
 * daemon writes its answers with, so the text is the wire's, byte for byte.
 */
public final class HearthJson {
  private HearthJson() {}

  /** A VM object, as {@code vm.start}, {@code vm.stop} and {@code vm.kill} answer it. */
  public static String of(Vm vm) {
    return ApiJson.vm(vm).toString();
  }

  /** A VM with its details, as {@code vm.show} answers it. */
  public static String of(VmDetails details) {
    return ApiJson.vmDetails(details).toString();
  }

  /** A VM's egress policy and denials, as {@code vm.egress} answers it. */
  public static String of(VmEgress egress) {
    return ApiJson.vmEgress(egress).toString();
  }

  /** An operation snapshot, as {@code op.show} answers it. */
  public static String of(Op op) {
    return ApiJson.op(op).toString();
  }

  /** An image object, as {@code image.register} and {@code image.promote} answer it. */
  public static String of(Image image) {
    return ApiJson.image(image).toString();
  }

  /** An image with its users, as {@code image.show} answers it. */
  public static String of(ImageDetails details) {
    return ApiJson.imageDetails(details).toString();
  }

  /** {@code session.start}'s answer: {@code {"id", "name"}}. */
  public static String of(SessionStarted started) {
    return SessionJson.started(started).toString();
  }

  /** {@code session.list}'s answer: {@code {"sessions": [...], "errors": [...]}}. */
  public static String of(SessionList list) {
    return SessionJson.list(list).toString();
  }

  /** {@code session.wait}'s answer: {@code {"state", "exit_code"}}. */
  public static String of(SessionEnd end) {
    return SessionJson.end(end).toString();
  }

  /**
   * {@code session.logs}' and {@code session.attach}'s answer: {@code {"next_offset", "session"}}.
   */
  public static String of(SessionOutput output) {
    return SessionJson.output(output).toString();
  }

  /** {@code vm.list}'s answer: {@code {"vms": [...]}}. */
  public static String vmList(List<Vm> vms) {
    return ApiJson.vms(vms).toString();
  }

  /** {@code op.list}'s answer: {@code {"ops": [...]}}. */
  public static String opList(List<Op> ops) {
    return ApiJson.ops(ops).toString();
  }

  /** {@code image.list}'s answer: {@code {"images": [...]}}. */
  public static String imageList(List<Image> images) {
    return ApiJson.images(images).toString();
  }
}
