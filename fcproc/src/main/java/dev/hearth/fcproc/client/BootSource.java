package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Body of {@code PUT /boot-source}. Given boot args replace Firecracker's defaults entirely
 * (Firecracker still appends the root device and {@code pci=off}).
 */
public record BootSource(
    Path kernelImagePath, Optional<String> bootArgs, Optional<Path> initrdPath) {

  public BootSource {
    requireNonNull(kernelImagePath, "kernelImagePath");
    requireNonNull(bootArgs, "bootArgs");
    requireNonNull(initrdPath, "initrdPath");
  }

  public BootSource(Path kernelImagePath, String bootArgs) {
    this(kernelImagePath, Optional.of(bootArgs), Optional.empty());
  }
}
