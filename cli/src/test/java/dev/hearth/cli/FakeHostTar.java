package dev.hearth.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tar for tests with an archive format of its own: the entry's name, a newline, then the content
 * of that one file. Records what it packed and where it unpacked.
 */
final class FakeHostTar implements HostTar {
  final List<Path> packed = new ArrayList<>();
  final List<Path> unpackedInto = new ArrayList<>();

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

  @Override
  public Unpacking unpack(Path dir) {
    unpackedInto.add(dir);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    return new Unpacking() {
      @Override
      public OutputStream archive() {
        return received;
      }

      @Override
      public void finish() {
        String text = received.toString(StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        if (newline < 0) {
          throw new HostTarException("tar -x failed with exit code 2: not an archive");
        }
        try {
          Files.writeString(dir.resolve(text.substring(0, newline)), text.substring(newline + 1));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public void close() {}
    };
  }
}
