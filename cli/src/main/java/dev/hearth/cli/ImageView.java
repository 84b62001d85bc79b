package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Sizes;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/** Image objects of the RPC contract as tables and lines. */
final class ImageView {
  private ImageView() {}

  /** NAME SIZE SHA256 (of the rootfs, shortened) CREATED, one row per image in the order given. */
  static Table table(JsonNode images, Instant now) {
    Table table = new Table().header("NAME", "SIZE", "SHA256", "CREATED");
    for (JsonNode image : images) {
      table.row(
          Json.text(image, "name"),
          size(image),
          Human.shortDigest(image.path("sha256").path("rootfs.ext4").asText("")),
          Human.age(Json.text(image, "created_at"), now) + " ago");
    }
    return table;
  }

  /** "Key: value" lines for the fields present, image.show's "used_by" included. */
  static Table details(JsonNode image, Instant now) {
    Details details = new Details();
    details.add("Name", Json.text(image, "name"));
    details.add("Size", size(image));
    details.add("Created", Details.timestamp(Json.text(image, "created_at"), now));
    details.add("Kernel", Json.text(image, "kernel"));
    details.add("Rootfs", Json.text(image, "rootfs"));
    details.add("Initrd", Json.text(image, "initrd"));
    details.add("Boot args", Json.text(image, "boot_args"));
    Iterator<Map.Entry<String, JsonNode>> sums = image.path("sha256").properties().iterator();
    while (sums.hasNext()) {
      Map.Entry<String, JsonNode> sum = sums.next();
      details.add("SHA256 " + sum.getKey(), sum.getValue().asText());
    }
    JsonNode users = image.path("used_by");
    if (users.isArray()) {
      StringBuilder names = new StringBuilder();
      users.forEach(u -> names.append(names.length() == 0 ? "" : ", ").append(u.asText()));
      details.add("Used by", names.length() == 0 ? "-" : names.toString());
    }
    return details.table();
  }

  private static String size(JsonNode image) {
    JsonNode bytes = image.path("size_bytes");
    return bytes.canConvertToLong() ? Sizes.format(bytes.asLong()) : "";
  }
}
