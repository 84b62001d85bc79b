package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** README's Java example is the code of {@link ReadmeExample}, so it compiles and cannot rot. */
class ReadmeExampleTest {
  @Test
  void readmeShowsTheCompiledExample() throws IOException {
    String source = Files.readString(Path.of("src/test/java/dev/hearth/daemon/ReadmeExample.java"));
    String code =
        source.substring(
            source.indexOf("// README begin\n") + "// README begin\n".length(),
            source.indexOf("  // README end"));
    String readme = Files.readString(Path.of("../README.md"));
    String unindented =
        code.lines()
            .map(line -> line.startsWith("  ") ? line.substring(2) : line)
            .collect(Collectors.joining("\n", "", "\n"));
    assertThat(readme).contains("```java\n" + unindented + "```\n");
  }
}
