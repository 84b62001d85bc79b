package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostNetworkEnvironmentTest {
  @TempDir Path dir;

  @Test
  void findsExecutablesInPathOrderOnly() throws Exception {
    Path first = Files.createDirectories(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second"));
    Files.createFile(first.resolve("nft"));
    Path nft = Files.createFile(second.resolve("nft"));
    Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(first.resolve("iptables"));

    HostNetworkEnvironment env =
        HostNetworkEnvironment.system(first + "::" + second, dir.resolve("proc"));
    assertThat(env.findProgram("nft")).contains(nft);
    assertThat(env.findProgram("iptables")).isEmpty();
    assertThat(HostNetworkEnvironment.system(null, dir).findProgram("nft")).isEmpty();
  }

  @Test
  void writesSysctlsUnderTheProcSysRoot() throws Exception {
    Path file = Files.createDirectories(dir.resolve("net/ipv4")).resolve("ip_forward");
    Files.writeString(file, "0\n");
    HostNetworkEnvironment.system("", dir).writeSysctl("net.ipv4.ip_forward", "1");
    assertThat(Files.readString(file)).isEqualTo("1\n");
  }

  @Test
  void aSysctlThatCannotBeWrittenNamesTheFileAndValue() {
    assertThatThrownBy(
            () -> HostNetworkEnvironment.system("", dir).writeSysctl("net.ipv4.nope", "1"))
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining(dir.resolve("net/ipv4/nope").toString())
        .hasMessageContaining("could not write 1");
  }
}
