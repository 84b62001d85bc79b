package dev.hearth.daemon;

import java.util.List;
import java.util.Objects;

/** An image and the names of the VMs made from it (any state), sorted. */
public record ImageDetails(Image image, List<String> usedBy) {
  public ImageDetails {
    Objects.requireNonNull(image, "image");
    usedBy = List.copyOf(usedBy);
  }
}
