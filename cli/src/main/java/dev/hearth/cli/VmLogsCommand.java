package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth vm logs}: the VM's serial console, written out as it arrives. Following ends when
 * the VM stops, or cleanly on Ctrl-C.
 */
@Command(name = "logs", description = "Print a VM's console output.")
final class VmLogsCommand implements Callable<Integer> {
  @ParentCommand VmCommand vm;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String target;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing output as it comes, until the VM stops or Ctrl-C.")
  boolean follow;

  @Option(names = "--tail", paramLabel = "N", description = "Only the last N lines.")
  Integer tail;

  @Override
  public Integer call() throws InterruptedException {
    OptionalLong lines = OptionalLong.empty();
    if (tail != null) {
      if (tail < 0) {
        throw new ParameterException(spec.commandLine(), "--tail must be 0 or more, not " + tail);
      }
      lines = OptionalLong.of(tail);
    }
    HearthCommand hearth = vm.hearth;
    PrintWriter out = hearth.out();
    Utf8Decoder console = new Utf8Decoder(out);
    Interrupts interrupts = hearth.env().interrupts();
    try (Hearth api = hearth.hearth();
        Interrupts.Registration flushOnInterrupt = interrupts.onInterrupt(out::flush)) {
      if (follow) {
        api.vms().followLogs(target, lines, console::write);
      } else {
        console.write(api.vms().logs(target, lines));
      }
      console.finish();
    }
    return 0;
  }

  /**
   * Bytes to text as they come: a UTF-8 sequence split between two chunks is kept until the rest
   * arrives; bytes that are not UTF-8 print as U+FFFD.
   */
  static final class Utf8Decoder {
    private final PrintWriter out;
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] pending = new byte[0];

    Utf8Decoder(PrintWriter out) {
      this.out = out;
    }

    void write(byte[] bytes) {
      if (bytes.length == 0) {
        return;
      }
      ByteBuffer in = ByteBuffer.allocate(pending.length + bytes.length);
      in.put(pending).put(bytes).flip();
      decode(in, false);
      pending = new byte[in.remaining()];
      in.get(pending);
    }

    /** Prints what is left, an incomplete sequence as U+FFFD. */
    void finish() {
      decode(ByteBuffer.wrap(pending), true);
      CharBuffer tail = CharBuffer.allocate(8);
      decoder.flush(tail);
      out.append(tail.flip());
      out.flush();
      pending = new byte[0];
    }

    private void decode(ByteBuffer in, boolean endOfInput) {
      // UTF-8 never decodes to more chars than it has bytes, replacements included.
      CharBuffer chars = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, chars, endOfInput);
      out.append(chars.flip());
      out.flush();
    }
  }
}
