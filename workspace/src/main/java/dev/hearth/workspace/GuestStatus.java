package dev.hearth.workspace;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * What the status script reported about a workspace in the guest (untrusted: parsed strictly).
 *
 * @param branch the checked-out branch without {@code refs/heads/}; empty when detached
 * @param head the HEAD commit; empty when there is none
 * @param commitsSinceImport how many commits HEAD has that the base has not; empty when the base is
 *     gone from the guest
 * @param commits up to {@value WorkspaceScripts#MAX_COMMITS_LISTED} of them, {@code HASH SUBJECT}
 * @param changes uncommitted changes, as {@code git status --porcelain}: {@code XY path}
 */
public record GuestStatus(
    Optional<String> branch,
    Optional<String> head,
    OptionalInt commitsSinceImport,
    List<String> commits,
    List<String> changes) {
  /** Most bytes of status output read from the guest. */
  public static final int MAX_BYTES = 4 << 20;

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{40}([0-9a-f]{24})?");

  public GuestStatus {
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(commitsSinceImport, "commitsSinceImport");
    commits = List.copyOf(commits);
    changes = List.copyOf(changes);
  }

  /**
   * @throws WorkspaceException when the output is not what the status script writes
   */
  public static GuestStatus parse(byte[] out) {
    if (out.length > MAX_BYTES) {
      throw new WorkspaceException(
          "the guest's workspace status is larger than " + (MAX_BYTES >> 20) + " MiB");
    }
    List<String> fields =
        new ArrayList<>(Arrays.asList(new String(out, StandardCharsets.UTF_8).split("\0", -1)));
    if (fields.size() < 5 || !fields.get(0).equals("hearth-status")) {
      throw bad("it does not start with the status header");
    }
    String ref = fields.get(1);
    Optional<String> branch = Optional.empty();
    if (ref.startsWith("refs/heads/")) {
      branch = Optional.of(ref.substring("refs/heads/".length()));
    } else if (!ref.isEmpty()) {
      throw bad("HEAD is not a branch");
    }
    String head = fields.get(2);
    if (!head.isEmpty() && !HASH.matcher(head).matches()) {
      throw bad("the HEAD commit is not a hash");
    }
    OptionalInt count = OptionalInt.empty();
    if (!fields.get(3).isEmpty()) {
      try {
        count = OptionalInt.of(Integer.parseInt(fields.get(3)));
      } catch (NumberFormatException e) {
        throw bad("the commit count is not a number");
      }
    }
    int i = 4;
    List<String> commits = new ArrayList<>();
    while (i < fields.size() && !fields.get(i).equals("hearth-changes")) {
      if (commits.size() == WorkspaceScripts.MAX_COMMITS_LISTED) {
        throw bad("it lists too many commits");
      }
      commits.add(fields.get(i));
      i++;
    }
    if (i == fields.size()) {
      throw bad("the list of changes is missing");
    }
    i++;
    List<String> changes = new ArrayList<>();
    while (i < fields.size()) {
      String entry = fields.get(i++);
      if (entry.isEmpty() && i == fields.size()) {
        break; // the last entry's NUL
      }
      if (entry.length() < 4 || entry.charAt(2) != ' ') {
        throw bad("a change is not 'XY path'");
      }
      char x = entry.charAt(0);
      if ((x == 'R' || x == 'C') && i < fields.size()) {
        entry = entry + " <- " + fields.get(i++);
      }
      changes.add(entry);
    }
    return new GuestStatus(
        branch, head.isEmpty() ? Optional.empty() : Optional.of(head), count, commits, changes);
  }

  private static WorkspaceException bad(String why) {
    return new WorkspaceException("the guest's workspace status is malformed: " + why);
  }
}
