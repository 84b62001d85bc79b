package dev.hearth.daemon.internal.workspace;

import dev.hearth.opstate.AsyncOp;
import java.util.Set;

/** A {@code workspace.import} or {@code workspace.export}; its target is {@code VM/NAME}. */
public final class WorkspaceOp extends AsyncOp {
  public static final String IMPORT = "workspace.import";
  public static final String EXPORT = "workspace.export";
  public static final Set<String> KINDS = Set.of(IMPORT, EXPORT);

  WorkspaceOp(String kind, String vm, String name) {
    super(kind, vm + "/" + name);
  }
}
