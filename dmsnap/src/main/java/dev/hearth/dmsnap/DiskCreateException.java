package dev.hearth.dmsnap;

import dev.hearth.core.CommandException;
import java.util.Optional;

/**
 * Creating a root disk failed at one step. Everything the earlier steps made has been undone; the
 * message names the VM, the step and the reason, and the cause is the failed command's {@link
 * CommandException} (or the I/O error of a file step).
 */
public class DiskCreateException extends DmsnapException {
  private static final long serialVersionUID = 1L;

  private final String vmId;
  private final CreateStep step;

  public DiskCreateException(String vmId, CreateStep step, Throwable cause) {
    super(
        "creating the root disk of VM "
            + vmId
            + " failed at step '"
            + step.description()
            + "': "
            + cause.getMessage(),
        cause);
    this.vmId = vmId;
    this.step = step;
  }

  public String vmId() {
    return vmId;
  }

  public CreateStep step() {
    return step;
  }

  /** The failed host command, when the step was one. */
  public Optional<CommandException> commandException() {
    return getCause() instanceof CommandException c ? Optional.of(c) : Optional.empty();
  }
}
