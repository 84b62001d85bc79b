package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExecRequestTest {
  @Test
  void theCommandLineQuotesEveryWordAndMarksTheProcesses() {
    ExecRequest request =
        new ExecRequest(
            List.of("printf", "%s", "it's $x"),
            Map.of("B", "2", "A", "o'ne"),
            Optional.of("/my dir"),
            Optional.empty());

    assertThat(request.commandLine("id-1"))
        .isEqualTo(
            "cd -- '/my dir' && exec 'env' '--' 'HEARTH_EXEC_ID=id-1' 'A=o'\\''ne' 'B=2'"
                + " 'printf' '%s' 'it'\\''s $x'");
  }

  @Test
  void withoutAWorkingFolderTheCommandIsExecutedDirectly() {
    assertThat(ExecRequest.of(List.of("true")).commandLine("x"))
        .isEqualTo("exec 'env' '--' 'HEARTH_EXEC_ID=x' 'true'");
  }

  @Test
  void badValuesAreRefusedNamingThem() {
    assertThatThrownBy(
            () ->
                new ExecRequest(
                    List.of("true"), Map.of("1A", "x"), Optional.empty(), Optional.empty()))
        .hasMessageContaining("'1A' is not valid");
    assertThatThrownBy(
            () ->
                new ExecRequest(
                    List.of("true"),
                    Map.of("HEARTH_EXEC_ID", "x"),
                    Optional.empty(),
                    Optional.empty()))
        .hasMessageContaining("set by hearth");
    assertThatThrownBy(() -> ExecRequest.of(List.of("a\0b"))).hasMessageContaining("NUL");
    assertThatThrownBy(
            () -> new ExecRequest(List.of("true"), Map.of(), Optional.of(""), Optional.empty()))
        .hasMessageContaining("working folder");
    assertThatThrownBy(() -> new ExecRequest.Pty("bad term", 80, 24)).hasMessageContaining("TERM");
    assertThatThrownBy(() -> new ExecRequest.Pty("xterm", 0, 24)).hasMessageContaining("cols");
  }

  @Test
  void aLoginShellHasNoCommandLine() {
    ExecRequest shell = ExecRequest.loginShell(new ExecRequest.Pty("xterm", 80, 24));
    assertThat(shell.isLoginShell()).isTrue();
    assertThatThrownBy(() -> shell.commandLine("x")).isInstanceOf(IllegalStateException.class);
  }
}
