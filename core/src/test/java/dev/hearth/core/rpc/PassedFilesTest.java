package dev.hearth.core.rpc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The descriptors a request gets: at most {@link PassedFiles#MAX_FILES}, the rest closed. */
class PassedFilesTest {
  @TempDir Path dir;
  private final List<FileInputStream> opened = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (FileInputStream in : opened) {
      in.close();
    }
  }

  private List<FileDescriptor> open(int count) throws Exception {
    List<FileDescriptor> fds = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path file = Files.writeString(dir.resolve("f" + i), "file " + i);
      FileInputStream in = new FileInputStream(file.toFile());
      opened.add(in);
      fds.add(in.getFD());
    }
    return fds;
  }

  /**
   * The event loop carries what it read before it hands a connection over; the thread then reads
   * more with the same request. Together they still come to at most the max.
   */
  @Test
  void carriedAndLaterDescriptorsKeepAtMostTheMaxAndTheRestAreClosed() throws Exception {
    List<FileDescriptor> fds = open(PassedFiles.MAX_FILES + 2);
    List<FileDescriptor> carried = fds.subList(0, 3);
    FileDescriptor[] later = fds.subList(3, fds.size()).toArray(new FileDescriptor[0]);

    List<FileDescriptor> joined = PassedFiles.join(carried, later);

    assertThat(joined).containsExactlyElementsOf(fds.subList(0, PassedFiles.MAX_FILES));
    assertThat(joined).allMatch(FileDescriptor::valid);
    assertThat(fds.subList(PassedFiles.MAX_FILES, fds.size())).noneMatch(FileDescriptor::valid);
    PassedFiles files = new PassedFiles(joined);
    assertThat(files.count()).isEqualTo(PassedFiles.MAX_FILES);
    try (FileChannel channel = files.take(3)) {
      assertThat(new String(Channels.newInputStream(channel).readAllBytes(), UTF_8))
          .isEqualTo("file 3");
    }
    files.closeRest();
    assertThat(joined).noneMatch(FileDescriptor::valid);
  }

  @Test
  void descriptorsOfOneReadPastTheMaxAreClosed() throws Exception {
    List<FileDescriptor> fds = open(PassedFiles.MAX_FILES + 1);

    List<FileDescriptor> list = PassedFiles.asList(fds.toArray(new FileDescriptor[0]));

    assertThat(list).containsExactlyElementsOf(fds.subList(0, PassedFiles.MAX_FILES));
    assertThat(fds.get(PassedFiles.MAX_FILES).valid()).isFalse();
    assertThat(PassedFiles.asList(null)).isEmpty();
  }
}
