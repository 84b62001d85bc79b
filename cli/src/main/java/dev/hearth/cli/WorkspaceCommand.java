package dev.hearth.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Printable;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.WorkspaceExport;
import dev.hearth.daemon.WorkspaceExported;
import dev.hearth.daemon.WorkspaceImport;
import dev.hearth.daemon.WorkspaceStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth workspace ...}: a host git repository into a VM, and the VM's commits back as a
 * branch (ARCHITECTURE.md, "Workspaces"). git runs here, as the CLI's user.
 */
@Command(
    name = "workspace",
    description = "Copy a git repository into a VM and bring its commits back as a branch.")
final class WorkspaceCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE;
  }

  static ObjectNode json(Workspace w) {
    ObjectNode o = Json.object();
    o.put("vm", w.vm());
    o.put("name", w.name());
    o.put("guest_path", w.guestPath());
    o.put("host_path", w.hostPath().toString());
    o.put("branch", w.branch());
    o.put("base_commit", w.baseCommit());
    o.put("imported_at", w.importedAt().toString());
    return o;
  }

  private static String shortHash(String hash) {
    return hash.length() > 12 ? hash.substring(0, 12) : hash;
  }

  @Command(
      name = "import",
      description =
          "Copy the git repository at PATH (default: here) into the running VM at"
              + " /workspace/NAME, uncommitted changes included.")
  static final class Import implements Callable<Integer> {
    @ParentCommand WorkspaceCommand workspace;

    @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String vm;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "PATH",
        description = "A folder in the repository's work tree (default: the current folder).")
    Path path;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "The workspace's name (default: the work tree's folder name).")
    String name;

    @Option(names = "--all-branches", description = "Bring every local branch, not only HEAD's.")
    boolean allBranches;

    @Override
    public Integer call() throws InterruptedException {
      HearthCommand hearth = workspace.hearth;
      Path from = path == null ? Path.of("").toAbsolutePath() : path.toAbsolutePath();
      Workspace w;
      try (Hearth api = hearth.hearth()) {
        w =
            ImportProgressDisplay.run(
                hearth, api, new WorkspaceImport(vm, from, Optional.ofNullable(name), allBranches));
      }
      if (hearth.json()) {
        hearth.printJson(json(w));
      } else {
        hearth.say(
            "imported "
                + Printable.of(w.hostPath().toString())
                + " ("
                + Printable.of(w.branch())
                + " at "
                + shortHash(w.baseCommit())
                + ") into VM "
                + w.vm()
                + " at "
                + Printable.of(w.guestPath()));
      }
      return 0;
    }
  }

  @Command(name = "list", aliases = "ls", description = "List a VM's workspaces.")
  static final class ListWorkspaces implements Callable<Integer> {
    @ParentCommand WorkspaceCommand workspace;

    @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String vm;

    @Override
    public Integer call() {
      HearthCommand hearth = workspace.hearth;
      List<Workspace> all;
      try (Hearth api = hearth.hearth()) {
        all = api.workspaces().list(vm);
      }
      if (hearth.json()) {
        ArrayNode array = Json.object().putArray("workspaces");
        all.forEach(w -> array.add(json(w)));
        hearth.printJson(array);
        return 0;
      }
      Table table =
          new Table().header("NAME", "GUEST PATH", "BRANCH", "HEAD", "HOST PATH", "IMPORTED");
      for (Workspace w : all) {
        table.row(
            Printable.of(w.name()),
            Printable.of(w.guestPath()),
            Printable.of(w.branch()),
            shortHash(w.baseCommit()),
            Printable.of(w.hostPath().toString()),
            Human.age(w.importedAt(), hearth.now()));
      }
      table.print(hearth.out(), hearth.style());
      return 0;
    }
  }

  @Command(
      name = "status",
      description =
          "Show the guest's branch, HEAD, commits since the import and uncommitted changes.")
  static final class Status implements Callable<Integer> {
    @ParentCommand WorkspaceCommand workspace;

    @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String vm;

    @Parameters(index = "1", paramLabel = "NAME", description = "The workspace's name.")
    String name;

    @Override
    public Integer call() throws InterruptedException {
      HearthCommand hearth = workspace.hearth;
      WorkspaceStatus s;
      try (Hearth api = hearth.hearth()) {
        s = api.workspaces().status(vm, name);
      }
      if (hearth.json()) {
        ObjectNode o = Json.object();
        o.set("workspace", json(s.workspace()));
        s.branch().ifPresentOrElse(b -> o.put("branch", b), () -> o.putNull("branch"));
        s.head().ifPresentOrElse(h -> o.put("head", h), () -> o.putNull("head"));
        if (s.commitsSinceImport().isPresent()) {
          o.put("commits_since_import", s.commitsSinceImport().getAsInt());
        } else {
          o.putNull("commits_since_import");
        }
        s.commits().forEach(o.putArray("commits")::add);
        s.changes().forEach(o.putArray("changes")::add);
        s.hostHead().ifPresentOrElse(h -> o.put("host_head", h), () -> o.putNull("host_head"));
        o.put("host_branch_moved", s.hostBranchMoved());
        hearth.printJson(o);
        return 0;
      }
      var out = hearth.out();
      out.println(
          "branch: "
              + s.branch().map(Printable::of).orElse("(detached HEAD)")
              + "  head: "
              + s.head().map(WorkspaceCommand::shortHash).orElse("(none)"));
      out.println(
          "commits since the import: "
              + (s.commitsSinceImport().isPresent()
                  ? String.valueOf(s.commitsSinceImport().getAsInt())
                  : "unknown (the base commit is gone from the guest)"));
      s.commits().forEach(c -> out.println("  " + Printable.of(c)));
      out.println("uncommitted changes: " + (s.changes().isEmpty() ? "none" : s.changes().size()));
      s.changes().forEach(c -> out.println("  " + Printable.of(c)));
      out.println(
          "host branch "
              + Printable.of(s.workspace().branch())
              + (s.hostBranchMoved()
                  ? " moved since the import ("
                      + s.hostHead().map(WorkspaceCommand::shortHash).orElse("gone")
                      + ")"
                  : " has not moved since the import"));
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "export",
      description =
          "Bring the guest's commits since the import into the host repository as branch B"
              + " (default hearth/VM/NAME); nothing else on the host changes.")
  static final class Export implements Callable<Integer> {
    @ParentCommand WorkspaceCommand workspace;

    @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String vm;

    @Parameters(index = "1", paramLabel = "NAME", description = "The workspace's name.")
    String name;

    @Option(names = "--branch", paramLabel = "B", description = "The host branch to write.")
    String branch;

    @Option(
        names = "--include-uncommitted",
        description = "Add the guest's uncommitted changes as one more commit.")
    boolean includeUncommitted;

    @Option(names = "--force", description = "Replace the branch even if not a fast-forward.")
    boolean force;

    @Override
    public Integer call() throws InterruptedException {
      HearthCommand hearth = workspace.hearth;
      WorkspaceExported e;
      try (Hearth api = hearth.hearth()) {
        e =
            api.workspaces()
                .export(
                    new WorkspaceExport(
                        vm, name, Optional.ofNullable(branch), includeUncommitted, force));
      }
      if (hearth.json()) {
        ObjectNode o = Json.object();
        o.put("host_path", e.hostPath().toString());
        o.put("branch", e.branch());
        e.previous().ifPresentOrElse(p -> o.put("previous", p), () -> o.putNull("previous"));
        o.put("tip", e.tip());
        o.put("commits", e.commits());
        hearth.printJson(o);
      } else {
        hearth.say(
            "branch "
                + Printable.of(e.branch())
                + " in "
                + Printable.of(e.hostPath().toString())
                + " is at "
                + shortHash(e.tip())
                + " ("
                + e.commits()
                + (e.commits() == 1 ? " new commit" : " new commits")
                + (e.previous().isPresent() ? "" : ", new branch")
                + ")");
      }
      return 0;
    }
  }
}
