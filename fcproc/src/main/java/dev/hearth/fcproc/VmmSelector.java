package dev.hearth.fcproc;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Chooses the VMM the daemon runs guests under (the {@code vmm} and {@code firecracker_bin} keys)
 * and finds the binaries: the one place that looks for firecracker and for the bundled QEMU
 * launcher, so the daemon, {@code hearth version} and the doctor agree.
 *
 * <ul>
 *   <li>{@code firecracker_bin} set: that file, as is, whatever {@code vmm} says (its kind is QEMU
 *       when it is hearth-qemu-firecracker);
 *   <li>{@code vmm = auto}: firecracker from PATH when it is there and KVM is usable ({@link
 *       KvmProbe}), else {@code <hearth home>/bin/hearth-qemu-firecracker};
 *   <li>{@code vmm = firecracker}: firecracker from PATH, only with usable KVM;
 *   <li>{@code vmm = qemu}: the launcher.
 * </ul>
 *
 * <p>The hearth home is the distribution's folder, which {@code bin/hearth} exports as {@value
 * #HOME_ENV}; no path is hard-coded.
 */
public final class VmmSelector {
  /** The environment variable through which {@code bin/hearth} names the distribution's folder. */
  public static final String HOME_ENV = "HEARTH_HOME";

  /** The bundled launcher's file name in the distribution's {@code bin/}. */
  public static final String LAUNCHER = "hearth-qemu-firecracker";

  static final String FIRECRACKER = "firecracker";
  static final String JAILER = "jailer";

  /** A binary found, or what was looked at in vain. */
  public record Lookup(Optional<Path> path, String detail) {
    public Lookup {
      requireNonNull(path, "path");
      requireNonNull(detail, "detail");
    }

    static Lookup found(Path path) {
      return new Lookup(Optional.of(path), path.toString());
    }

    static Lookup missing(String detail) {
      return new Lookup(Optional.empty(), detail);
    }
  }

  private final List<Path> searchPath;
  private final Optional<Path> hearthHome;
  private final QemuAccel qemuAccel;
  private final Predicate<Path> executableFile;
  private final KvmProbe kvm;

  /**
   * @param pathVariable the PATH firecracker is looked up on (the daemon's own)
   * @param hearthHome the distribution's folder, holding {@code bin/hearth-qemu-firecracker}
   * @param qemuAccel the launcher's accelerator ({@code HEARTH_QEMU_ACCEL}), which says whether
   *     QEMU emulates the CPU
   * @param executableFile whether a path is a regular file this process may execute
   * @param kvm whether KVM can run guests here
   */
  public VmmSelector(
      String pathVariable,
      Optional<Path> hearthHome,
      QemuAccel qemuAccel,
      Predicate<Path> executableFile,
      KvmProbe kvm) {
    // A folder listed twice is looked in once (and named once in the reason).
    Set<Path> dirs = new LinkedHashSet<>();
    for (String dir : requireNonNull(pathVariable, "pathVariable").split(":")) {
      if (!dir.isEmpty()) {
        dirs.add(Path.of(dir));
      }
    }
    this.searchPath = List.copyOf(dirs);
    this.hearthHome = requireNonNull(hearthHome, "hearthHome");
    this.qemuAccel = requireNonNull(qemuAccel, "qemuAccel");
    this.executableFile = requireNonNull(executableFile, "executableFile");
    this.kvm = requireNonNull(kvm, "kvm");
  }

  /**
   * This process's view: its PATH, {@value #HOME_ENV} and {@value QemuAccel#ENV}, the real files
   * and the real KVM.
   */
  public static VmmSelector system() {
    String path = System.getenv("PATH");
    String home = System.getenv(HOME_ENV);
    String accel = System.getenv(QemuAccel.ENV);
    return new VmmSelector(
        path == null ? "" : path,
        home == null || home.isBlank() ? Optional.empty() : Optional.of(Path.of(home)),
        accel == null ? QemuAccel.AUTO : QemuAccel.parse(accel).orElse(QemuAccel.AUTO),
        p -> Files.isRegularFile(p) && Files.isExecutable(p),
        KvmProbe.system());
  }

  /** The choice for the config's {@code vmm} and {@code firecracker_bin}. */
  public VmmChoice choose(Config config) {
    VmmMode mode =
        VmmMode.fromConfigName(config.vmm())
            .orElseThrow(() -> new IllegalArgumentException("unknown vmm: " + config.vmm()));
    VmmChoice choice = choose(mode, config.firecrackerBin());
    if (choice.kind() != VmmKind.FIRECRACKER) {
      return choice;
    }
    return jailer(config.jailerBin(), choice.binary())
        .path()
        .map(choice::withJailer)
        .orElse(choice);
  }

  /** Chooses now: looks at the binaries and probes KVM (cheap; no process is run). */
  public VmmChoice choose(VmmMode mode, Optional<Path> firecrackerBin) {
    KvmStatus kvmStatus = kvm.probe();
    if (firecrackerBin.isPresent()) {
      return configured(mode, firecrackerBin.get(), kvmStatus);
    }
    return switch (mode) {
      case QEMU -> qemu("vmm = qemu", kvmStatus);
      case FIRECRACKER -> firecrackerOnly(kvmStatus);
      case AUTO -> auto(kvmStatus);
    };
  }

  /**
   * The firecracker binary: {@code firecracker_bin} when set (a bare name is looked up on PATH),
   * else {@code firecracker} on PATH.
   */
  public Lookup firecracker(Optional<Path> configured) {
    Optional<Path> explicit = configured.filter(p -> p.isAbsolute() || p.getNameCount() > 1);
    if (explicit.isPresent()) {
      Path p = explicit.get();
      return executableFile.test(p)
          ? Lookup.found(p)
          : Lookup.missing("firecracker_bin " + p + " is missing or not executable");
    }
    String name = configured.map(Path::toString).orElse(FIRECRACKER);
    for (Path dir : searchPath) {
      Path candidate = dir.resolve(name);
      if (executableFile.test(candidate)) {
        return Lookup.found(candidate);
      }
    }
    return Lookup.missing(
        "no executable '"
            + name
            + "' on PATH ("
            + (searchPath.isEmpty() ? "PATH is empty" : "looked in " + joined(searchPath))
            + ")");
  }

  /**
   * Firecracker's jailer: {@code jailer_bin} when set, else {@code jailer} on PATH, else {@code
   * jailer} in the folder of the firecracker binary (as Firecracker's releases ship the two).
   */
  public Lookup jailer(Optional<Path> configured, Optional<Path> firecracker) {
    if (configured.isPresent()) {
      Path p = configured.get();
      return executableFile.test(p)
          ? Lookup.found(p)
          : Lookup.missing("jailer_bin " + p + " is missing or not executable");
    }
    List<Path> looked = new ArrayList<>(searchPath);
    firecracker.map(Path::getParent).filter(dir -> !looked.contains(dir)).ifPresent(looked::add);
    for (Path dir : looked) {
      Path candidate = dir.resolve(JAILER);
      if (executableFile.test(candidate)) {
        return Lookup.found(candidate);
      }
    }
    return Lookup.missing(
        "no executable '"
            + JAILER
            + "' on PATH or next to firecracker ("
            + (looked.isEmpty() ? "nowhere to look" : "looked in " + joined(looked))
            + ")");
  }

  /** The bundled launcher, {@code <hearth home>/bin/hearth-qemu-firecracker}. */
  public Lookup launcher() {
    if (hearthHome.isEmpty()) {
      return Lookup.missing(
          "the bundled "
              + LAUNCHER
              + " cannot be found: "
              + HOME_ENV
              + " is not set (bin/hearth sets it to the distribution's folder)");
    }
    Path launcher = hearthHome.get().resolve("bin").resolve(LAUNCHER);
    return executableFile.test(launcher)
        ? Lookup.found(launcher)
        : Lookup.missing("there is no executable " + launcher);
  }

  private VmmChoice configured(VmmMode mode, Path bin, KvmStatus kvmStatus) {
    Lookup found = firecracker(Optional.of(bin));
    String overrides =
        mode == VmmMode.AUTO ? "" : " (it wins over vmm = " + mode.configName() + ")";
    if (found.path().isEmpty()) {
      return none(found.detail() + overrides, kvmStatus);
    }
    Path path = found.path().get();
    String set = "firecracker_bin = " + path + " is set and used as is" + overrides;
    if (isLauncher(path)) {
      return new VmmChoice(VmmKind.QEMU, found.path(), set, kvmStatus, emulates(kvmStatus));
    }
    String note =
        kvmStatus.usable() ? "" : ", but " + kvmStatus.detail() + " and Firecracker needs KVM";
    return new VmmChoice(VmmKind.FIRECRACKER, found.path(), set + note, kvmStatus, false);
  }

  private VmmChoice firecrackerOnly(KvmStatus kvmStatus) {
    Lookup fc = firecracker(Optional.empty());
    if (fc.path().isEmpty()) {
      return none("vmm = firecracker, but " + fc.detail(), kvmStatus);
    }
    if (!kvmStatus.usable()) {
      return none(
          "vmm = firecracker, but " + kvmStatus.detail() + " and Firecracker needs KVM", kvmStatus);
    }
    return firecrackerChoice("vmm = firecracker", fc.path().get(), kvmStatus);
  }

  private VmmChoice auto(KvmStatus kvmStatus) {
    Lookup fc = firecracker(Optional.empty());
    if (fc.path().isPresent() && kvmStatus.usable() && !isLauncher(fc.path().get())) {
      return firecrackerChoice("vmm = auto", fc.path().get(), kvmStatus);
    }
    List<String> why = new ArrayList<>();
    if (fc.path().isEmpty()) {
      why.add(fc.detail());
    } else if (isLauncher(fc.path().get())) {
      why.add(fc.path().get() + " is " + LAUNCHER + ", not Firecracker");
    }
    if (!kvmStatus.usable()) {
      why.add(kvmStatus.detail());
    }
    return qemu(String.join(" and ", why), kvmStatus);
  }

  private VmmChoice firecrackerChoice(String why, Path bin, KvmStatus kvmStatus) {
    return new VmmChoice(
        VmmKind.FIRECRACKER,
        Optional.of(bin),
        why + ": Firecracker " + bin + " on KVM (" + kvmStatus.detail() + ")",
        kvmStatus,
        false);
  }

  /** The launcher, or none when it cannot be found; {@code why} says why QEMU at all. */
  private VmmChoice qemu(String why, KvmStatus kvmStatus) {
    Lookup launcher = launcher();
    if (launcher.path().isEmpty()) {
      return none(why + ", and " + launcher.detail(), kvmStatus);
    }
    boolean emulated = emulates(kvmStatus);
    String how =
        emulated
            ? "with software emulation"
                + (qemuAccel == QemuAccel.TCG ? " (" + QemuAccel.ENV + "=tcg)" : "")
            : "with KVM";
    return new VmmChoice(
        VmmKind.QEMU,
        launcher.path(),
        why + ", so VMs run under QEMU " + how + " through " + launcher.path().get(),
        kvmStatus,
        emulated);
  }

  private static VmmChoice none(String reason, KvmStatus kvmStatus) {
    return new VmmChoice(VmmKind.NONE, Optional.empty(), reason, kvmStatus, false);
  }

  /** Whether the launcher will run QEMU without KVM, as its {@code auto} decides. */
  private boolean emulates(KvmStatus kvmStatus) {
    return qemuAccel == QemuAccel.TCG || (qemuAccel == QemuAccel.AUTO && !kvmStatus.usable());
  }

  /** Whether the file (through any symbolic links) is hearth's QEMU launcher. */
  private static boolean isLauncher(Path bin) {
    Path real;
    try {
      real = bin.toRealPath();
    } catch (IOException | SecurityException e) {
      real = bin;
    }
    Path name = real.getFileName();
    return name != null && name.toString().equals(LAUNCHER);
  }

  private static String joined(List<Path> dirs) {
    List<String> names = new ArrayList<>();
    dirs.forEach(d -> names.add(d.toString()));
    return String.join(", ", names);
  }
}
