package dev.hearth.fcproc.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * The JSON of every request body, with the field names of the Firecracker API spelled out here
 * rather than derived from Java names, and absent optional fields left out.
 */
final class RequestBodies {
  static final ObjectMapper JSON = new ObjectMapper();

  private RequestBodies() {}

  static String machineConfig(MachineConfig c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("vcpu_count", c.vcpuCount());
    o.put("mem_size_mib", c.memSizeMib());
    c.smt().ifPresent(v -> o.put("smt", v));
    c.trackDirtyPages().ifPresent(v -> o.put("track_dirty_pages", v));
    return write(o);
  }

  static String bootSource(BootSource b) {
    ObjectNode o = JSON.createObjectNode();
    o.put("kernel_image_path", path(b.kernelImagePath()));
    b.bootArgs().ifPresent(v -> o.put("boot_args", v));
    b.initrdPath().ifPresent(v -> o.put("initrd_path", path(v)));
    return write(o);
  }

  static String drive(Drive d) {
    ObjectNode o = JSON.createObjectNode();
    o.put("drive_id", d.driveId());
    o.put("path_on_host", path(d.pathOnHost()));
    o.put("is_root_device", d.isRootDevice());
    o.put("is_read_only", d.isReadOnly());
    d.rateLimiter().ifPresent(r -> o.set("rate_limiter", rateLimiter(r)));
    return write(o);
  }

  static String networkInterface(NetworkInterface n) {
    ObjectNode o = JSON.createObjectNode();
    o.put("iface_id", n.ifaceId());
    o.put("host_dev_name", n.hostDevName());
    n.guestMac().ifPresent(v -> o.put("guest_mac", v));
    n.rxRateLimiter().ifPresent(r -> o.set("rx_rate_limiter", rateLimiter(r)));
    n.txRateLimiter().ifPresent(r -> o.set("tx_rate_limiter", rateLimiter(r)));
    return write(o);
  }

  private static ObjectNode rateLimiter(RateLimiter r) {
    ObjectNode o = JSON.createObjectNode();
    r.bandwidth().ifPresent(b -> o.set("bandwidth", tokenBucket(b)));
    r.ops().ifPresent(b -> o.set("ops", tokenBucket(b)));
    return o;
  }

  private static ObjectNode tokenBucket(TokenBucket b) {
    ObjectNode o = JSON.createObjectNode();
    o.put("size", b.size());
    b.oneTimeBurst().ifPresent(v -> o.put("one_time_burst", v));
    o.put("refill_time", b.refillTimeMs());
    return o;
  }

  static String logger(LoggerConfig l) {
    ObjectNode o = JSON.createObjectNode();
    o.put("log_path", path(l.logPath()));
    l.level().ifPresent(v -> o.put("level", v.apiName()));
    l.showLevel().ifPresent(v -> o.put("show_level", v));
    l.showLogOrigin().ifPresent(v -> o.put("show_log_origin", v));
    return write(o);
  }

  static String metrics(MetricsConfig m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("metrics_path", path(m.metricsPath()));
    return write(o);
  }

  static String action(String actionType) {
    ObjectNode o = JSON.createObjectNode();
    o.put("action_type", actionType);
    return write(o);
  }

  static String vmState(String state) {
    ObjectNode o = JSON.createObjectNode();
    o.put("state", state);
    return write(o);
  }

  private static String path(Path p) {
    return p.toString();
  }

  private static String write(ObjectNode o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }
}
