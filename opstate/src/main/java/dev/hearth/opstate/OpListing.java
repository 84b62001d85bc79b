package dev.hearth.opstate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** How a registry's lookups answer: the one operation an id prefix names, and the listing order. */
final class OpListing {
  private OpListing() {}

  /**
   * The one candidate an id or prefix matched.
   *
   * @throws OpNotFoundException when there is none
   * @throws AmbiguousOpIdException naming the candidates when there are several
   */
  static OpSnapshot single(String idOrPrefix, List<OpSnapshot> candidates, Set<String> kinds) {
    if (candidates.isEmpty()) {
      throw new OpNotFoundException(
          "no operation of kind "
              + String.join("/", new TreeSet<>(kinds))
              + " has id or id prefix '"
              + idOrPrefix
              + "'");
    }
    if (candidates.size() > 1) {
      throw new AmbiguousOpIdException(
          "id prefix '"
              + idOrPrefix
              + "' matches "
              + candidates.size()
              + " operations: "
              + candidates.stream().map(OpSnapshot::describe).collect(Collectors.joining(", "))
              + "; give more of the id");
    }
    return candidates.get(0);
  }

  /** Running operations (oldest first), then finished ones (most recent first). */
  static List<OpSnapshot> runningThenRecent(Collection<OpSnapshot> all) {
    List<OpSnapshot> running = new ArrayList<>();
    List<OpSnapshot> finished = new ArrayList<>();
    for (OpSnapshot s : all) {
      (s.finished() ? finished : running).add(s);
    }
    running.sort(Comparator.comparing(OpSnapshot::startedAt).thenComparing(OpSnapshot::id));
    finished.sort(
        Comparator.comparing((OpSnapshot s) -> s.finishedAt().orElseThrow())
            .reversed()
            .thenComparing(OpSnapshot::id));
    List<OpSnapshot> result = new ArrayList<>(running);
    result.addAll(finished);
    return result;
  }
}
