package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostListingsTest {
  /** `dmsetup ls` from lvm2 2.03 (util-linux style "(major:minor)"). */
  static final String DMSETUP_LS =
      "ubuntu--vg-ubuntu--lv\t(253:0)\n"
          + "hearth-0123abcd-base\t(253:1)\n"
          + "hearth-0123abcd\t(253:2)\n"
          + "hearth-feed\t(253:3)\n";

  /** `losetup --json --list` from util-linux 2.38, with a snap, an image loop and a deleted COW. */
  static final String LOSETUP_JSON =
      """
      {
         "loopdevices": [
            {
               "name": "/dev/loop0",
               "sizelimit": 0,
               "offset": 0,
               "autoclear": true,
               "ro": true,
               "back-file": "/var/lib/snapd/snaps/core22_1380.snap",
               "dio": true,
               "log-sec": 512
            },
            {
               "name": "/dev/loop3",
               "sizelimit": 0,
               "offset": 0,
               "autoclear": false,
               "ro": true,
               "back-file": "/var/lib/hearth/images/base/rootfs.ext4",
               "dio": false,
               "log-sec": 512
            },
            {
               "name": "/dev/loop4",
               "sizelimit": 0,
               "offset": 0,
               "autoclear": false,
               "ro": false,
               "back-file": "/var/lib/hearth/vms/0123abcd/rootfs.cow (deleted)",
               "dio": false,
               "log-sec": 512
            }
         ]
      }
      """;

  @Test
  void dmsetupLsNamesInBothFormats() {
    assertThat(HostListings.dmNames(DMSETUP_LS))
        .containsExactly(
            "ubuntu--vg-ubuntu--lv", "hearth-0123abcd-base", "hearth-0123abcd", "hearth-feed");
    assertThat(HostListings.dmNames("vg_root-lv_swap\t(253, 1)\nvg_root-lv_root\t(253, 0)\n"))
        .containsExactly("vg_root-lv_swap", "vg_root-lv_root");
  }

  @Test
  void dmsetupLsWithNoDevices() {
    assertThat(HostListings.dmNames("No devices found\n")).isEmpty();
    assertThat(HostListings.dmNames("")).isEmpty();
  }

  @Test
  void hearthDevicesOnlyAndSnapshotsBeforeTheirBase() {
    assertThat(HostListings.hearthDevicesInRemovalOrder(HostListings.dmNames(DMSETUP_LS)))
        .containsExactly("hearth-0123abcd", "hearth-feed", "hearth-0123abcd-base");
  }

  @Test
  void losetupJsonLoopsWithDeletedBackingFiles() {
    assertThat(HostListings.loops(LOSETUP_JSON))
        .containsExactly(
            new LoopDevice("/dev/loop0", Path.of("/var/lib/snapd/snaps/core22_1380.snap")),
            new LoopDevice("/dev/loop3", Path.of("/var/lib/hearth/images/base/rootfs.ext4")),
            new LoopDevice("/dev/loop4", Path.of("/var/lib/hearth/vms/0123abcd/rootfs.cow")));
  }

  @Test
  void loopsUnderTheStateFolderOnly() {
    assertThat(
            HostListings.loopsUnder(HostListings.loops(LOSETUP_JSON), Path.of("/var/lib/hearth")))
        .extracting(LoopDevice::device)
        .containsExactly("/dev/loop3", "/dev/loop4");
    // A sibling folder with the same prefix is not under it.
    assertThat(HostListings.loopsUnder(HostListings.loops(LOSETUP_JSON), Path.of("/var/lib/hear")))
        .isEmpty();
  }

  @Test
  void losetupWithNoLoops() {
    assertThat(HostListings.loops("")).isEmpty();
    assertThat(HostListings.loops("{\n   \"loopdevices\": [\n\n   ]\n}\n")).isEmpty();
  }

  @Test
  void losetupGarbageIsAnErrorQuotingTheOutput() {
    assertThatThrownBy(() -> HostListings.loops("losetup: cannot open /dev/loop-control"))
        .isInstanceOf(UnexpectedOutputException.class)
        .hasMessageContaining("losetup --json --list")
        .hasMessageContaining("cannot open /dev/loop-control");
    assertThatThrownBy(() -> HostListings.loops("{\"devices\": []}"))
        .isInstanceOf(UnexpectedOutputException.class);
  }

  @Test
  void dmsetupTargets() {
    String out =
        "snapshot-merge   v1.5.0\nsnapshot-origin  v1.9.0\nsnapshot         v1.16.0\n"
            + "zero             v1.2.0\nstriped          v1.6.0\nlinear           v1.4.0\n"
            + "error            v1.6.0\n";
    assertThat(HostListings.targets(out))
        .contains("snapshot", "zero", "linear")
        .doesNotContain("v1.16.0");
    assertThat(HostListings.targets("striped          v1.6.0\nlinear           v1.4.0\n"))
        .doesNotContain("snapshot");
  }
}
