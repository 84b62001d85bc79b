package dev.hearth.fcproc.net;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A host with the given programs on PATH that records sysctl writes. */
final class HostNetworkFakeEnvironment implements HostNetworkEnvironment {
  private final Set<String> programs;
  private final Map<String, String> sysctls = new LinkedHashMap<>();

  HostNetworkFakeEnvironment(String... programs) {
    this.programs = Set.of(programs);
  }

  @Override
  public Optional<Path> findProgram(String name) {
    return programs.contains(name) ? Optional.of(Path.of("/usr/sbin", name)) : Optional.empty();
  }

  @Override
  public void writeSysctl(String key, String value) {
    sysctls.put(key, value);
  }

  Map<String, String> sysctls() {
    return sysctls;
  }
}
