package dev.hearth.daemon.internal.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyProgressStreamTest {
  private final List<String> reports = new ArrayList<>();

  private InputStream stream(int size) {
    return new CopyProgressStream(
        new ByteArrayInputStream(new byte[size]), size, (s, p) -> reports.add(s + " " + p));
  }

  @Test
  void reportsEveryWholePercentOnceThenTheImportAtTheEnd() throws Exception {
    try (InputStream in = stream(1000)) {
      byte[] buffer = new byte[3];
      while (in.read(buffer) >= 0) {
        // read it all, three bytes at a time
      }
      in.read(); // a second end changes nothing
    }
    List<String> expected = new ArrayList<>();
    for (int p = 0; p <= 100; p++) {
      expected.add("copy " + p);
    }
    expected.add("import -1");
    assertThat(reports).isEqualTo(expected);
  }

  @Test
  void aBundleReadByteByByteOrSkippedReportsTheSame() throws Exception {
    try (InputStream in = stream(200)) {
      assertThat(in.skip(100)).isEqualTo(100);
      while (in.read() >= 0) {
        // the rest one byte at a time
      }
    }
    assertThat(reports).startsWith("copy 50", "copy 51").endsWith("copy 100", "import -1");
    assertThat(reports).doesNotHaveDuplicates();
  }

  @Test
  void aBundleSmallerThanItsSizeSaidStillEndsAtAHundredAndTheImport() throws Exception {
    try (InputStream in =
        new CopyProgressStream(
            new ByteArrayInputStream(new byte[10]), 1000, (s, p) -> reports.add(s + " " + p))) {
      in.readAllBytes();
    }
    assertThat(reports).containsExactly("copy 1", "copy 100", "import -1");
  }
}
