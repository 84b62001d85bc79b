package dev.hearth.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tar for tests with an archive format of its own: the entry's name, a newline, then the content
 * of that one file. Records what it packed.
 */
final class FakeHostTar implements HostTar {
  final List<Path> packed = new ArrayList<>();

  static byte[] archive(String name, String content) {
    return (name + "\n" + content).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Packing pack(Path parent, String name) {
    packed.add(parent.resolve(name));
    byte[] bytes;
    try {
      bytes = archive(name, Files.readString(parent.resolve(name)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    InputStream in = new ByteArrayInputStream(bytes);
    return new Packing() {
      @Override
      public InputStream archive() {
        return in;
      }

      @Override
      public void finish() {}

      @Override
      public void close() {}
    };
  }
}
