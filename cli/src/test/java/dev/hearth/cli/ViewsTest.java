package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** VM and operation tables and details, from JSON shaped as the RPC contract says. */
class ViewsTest {
  private static String print(Table table, boolean colour) {
    StringWriter out = new StringWriter();
    table.print(new PrintWriter(out), new Style(colour));
    return out.toString();
  }

  @Test
  void vmTableIsAlignedWithHumanMemoryAndAge() {
    String vms =
        "["
            + Samples.demoRunning()
            + ","
            + Samples.vm("web-server", "stopped", "10.77.0.13", "2024-04-28T09:00:00Z")
                .replace("\"memory_mib\":1024", "\"memory_mib\":512")
            + ","
            + Samples.vm("new", "creating", "", "2024-05-01T11:59:58Z")
            + "]";

    assertThat(print(VmView.table(Samples.node(vms), Samples.NOW), false).lines())
        .containsExactly(
            "NAME        STATE     IP          IMAGE  VCPUS  MEMORY   AGE",
            "demo        running   10.77.0.2   base   2      1 GiB    5m",
            "web-server  stopped   10.77.0.13  base   2      512 MiB  3d",
            "new         creating  -           base   2      1 GiB    2s");
  }

  @Test
  void vmStatesAreColouredWhenColourIsOn() {
    String vms =
        "["
            + Samples.demoRunning()
            + ","
            + Samples.vm("bad", "error", "10.77.0.3", "2024-05-01T11:00:00Z")
            + ","
            + Samples.vm("off", "stopped", "10.77.0.4", "2024-05-01T11:00:00Z")
            + "]";
    String coloured = print(VmView.table(Samples.node(vms), Samples.NOW), true);

    assertThat(coloured)
        .contains("\u001b[32mrunning\u001b[0m")
        .contains("\u001b[31merror\u001b[0m")
        .doesNotContain("m" + "stopped\u001b[0m");
    assertThat(coloured.replaceAll("\u001b\\[[0-9;]*m", ""))
        .isEqualTo(print(VmView.table(Samples.node(vms), Samples.NOW), false));
  }

  @Test
  void anEmptyVmListIsTheHeaderOnly() {
    assertThat(print(VmView.table(Samples.node("[]"), Samples.NOW), false).lines())
        .containsExactly("NAME  STATE  IP  IMAGE  VCPUS  MEMORY  AGE");
  }

  @Test
  void vmDetailsShowThePresentFieldsAligned() {
    var vm = (ObjectNode) Samples.node(Samples.demoRunning());
    vm.put("pid", 4242).put("vmm", "qemu").put("boot_args", "console=ttyS0 reboot=k");

    assertThat(print(VmView.details(vm, Samples.NOW), false).lines())
        .containsExactly(
            "Name:         demo",
            "ID:           fedcba9876543210",
            "State:        running",
            "IP:           10.77.0.2",
            "MAC:          06:00:0a:4d:00:02",
            "TAP:          htap0",
            "Image:        base",
            "vCPUs:        2",
            "Memory:       1 GiB",
            "Disk:         2 GiB",
            "Provisioner:  copy",
            "Created:      2024-05-01T11:55:00Z (5m ago)",
            "PID:          4242",
            "VMM:          qemu",
            "Boot args:    console=ttyS0 reboot=k");
  }

  @Test
  void aVmInErrorShowsWhy() {
    var vm =
        (ObjectNode) Samples.node(Samples.vm("demo", "error", "10.77.0.2", "2024-05-01T11:55:00Z"));
    vm.put("error", "firecracker exited with status 1");

    assertThat(print(VmView.details(vm, Samples.NOW), false))
        .contains("State:        error\nError:        firecracker exited with status 1\n");
  }

  @Test
  void opTableShowsStageWithPercentWhileRunning() {
    String ops =
        "["
            + Samples.op("running", "rootfs", 40)
            + ","
            + Samples.failedOp("boot", "no kvm").replace(Samples.OP_ID, "aaaaaaaaaaaaaaaa")
            + "]";

    assertThat(print(OpView.table(Samples.node(ops), Samples.NOW), false).lines())
        .containsExactly(
            "ID                KIND       TARGET  STATE    STAGE       AGE",
            "0123456789abcdef  vm.create  demo    running  rootfs 40%  10s",
            "aaaaaaaaaaaaaaaa  vm.create  demo    failed   boot        10s");
  }

  @Test
  void opDetailsShowErrorTimesAndLog() {
    var op =
        (ObjectNode) Samples.node(Samples.failedOp("boot", "firecracker exited with status 1"));
    op.putArray("log").add("spawned firecracker").add("InstanceStart refused");

    assertThat(print(OpView.details(op, Samples.NOW), false).lines())
        .containsExactly(
            "ID:        0123456789abcdef",
            "Kind:      vm.create",
            "Target:    demo",
            "State:     failed",
            "Stage:     boot",
            "Error:     at boot: firecracker exited with status 1",
            "Started:   2024-05-01T11:59:50.000Z (10s ago)",
            "Finished:  2024-05-01T11:59:53.200Z (6s ago)",
            "Took:      3.2s",
            "Log:       spawned firecracker",
            "           InstanceStart refused");
  }

  @Test
  void failureNamesTheStageTheReasonAndTheOperation() {
    assertThat(OpView.failure(Samples.node(Samples.failedOp("rootfs", "no space left on device"))))
        .contains(
            "vm.create demo failed at rootfs: no space left on device (op " + Samples.OP_ID + ")");
    assertThat(OpView.failure(Samples.node(Samples.op("cancelled", "boot", -1))))
        .contains("vm.create demo was cancelled at boot (op " + Samples.OP_ID + ")");
    assertThat(OpView.failure(Samples.node(Samples.op("succeeded", "ready", -1)))).isEmpty();
  }
}
