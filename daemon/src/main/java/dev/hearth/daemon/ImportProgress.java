package dev.hearth.daemon;

/**
 * How far a {@link Workspaces#importRepository} has come, as its caller sees it: {@code prepare}
 * (git reads the repository and makes the bundle, on the caller's side), {@code copy} (the bundle
 * goes to the VM; a percent of its size), then {@code import} (the guest fetches the bundle and
 * checks out the work tree). Called on whichever thread moves the bundle; it must not block.
 */
@FunctionalInterface
public interface ImportProgress {
  String PREPARE = "prepare";
  String COPY = "copy";
  String IMPORT = "import";

  /** Reports nothing. */
  ImportProgress NONE = (stage, percent) -> {};

  /**
   * @param stage {@link #PREPARE}, {@link #COPY} or {@link #IMPORT}
   * @param percent of the stage's work, 0 to 100; -1 when the stage cannot tell
   */
  void update(String stage, int percent);
}
