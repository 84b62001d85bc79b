package dev.hearth.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Shell completion scripts, e.g. {@code source <(hearth completion bash)}. */
@Command(
    name = "completion",
    description = "Print a completion script: source <(hearth completion bash|zsh)")
final class CompletionCommand implements Callable<Integer>, CommandTree.NeedsWholeTree {
  enum Shell {
    bash,
    zsh
  }

  /** zsh runs the bash script through its bash-completion emulation. */
  private static final String ZSH_PRELUDE =
      "if ! type compdef >/dev/null 2>&1; then autoload -U +X compinit && compinit; fi\n"
          + "autoload -U +X bashcompinit && bashcompinit\n";

  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SHELL", description = "One of: ${COMPLETION-CANDIDATES}.")
  Shell shell;

  @Override
  public Integer call() {
    String bash = AutoComplete.bash("hearth", spec.root().commandLine());
    String script =
        switch (shell) {
          case bash -> bash;
          case zsh -> ZSH_PRELUDE + bash;
        };
    hearth.out().print(script);
    hearth.out().flush();
    return 0;
  }
}
