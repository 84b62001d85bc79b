package dev.hearth.daemon.internal.imagebuild;

import dev.hearth.opstate.AsyncOp;

/** An {@code image.build} operation; its target is the image's name. */
public final class ImageBuildOp extends AsyncOp {
  public static final String KIND = "image.build";

  public ImageBuildOp(String imageName) {
    super(KIND, imageName);
  }
}
