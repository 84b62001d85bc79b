package dev.hearth.fcproc.net;

import dev.hearth.core.CommandResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * hearth's NAT rules in the shared iptables tables, each carrying {@code -m comment --comment
 * <tag>}. Rules are found by listing a table with {@code -S} and picking the lines with the tag;
 * they are deleted by their own spec ({@code -D} with the listed line), never by position. Every
 * command passes {@code -w} so it waits for the xtables lock rather than failing when another tool
 * holds it.
 */
final class NatIptables {
  private record Rule(String table, String chain, boolean atHead, List<String> spec) {
    /** The rule as {@code iptables -S} prints it. */
    List<String> listed() {
      List<String> line = new ArrayList<>(List.of("-A", chain));
      line.addAll(spec);
      return line;
    }
  }

  private final HostNetworkCommands commands;
  private final String tag;
  private final List<Rule> wanted;

  NatIptables(HostNetworkCommands commands, String tag, String bridge, Ipv4Cidr cidr) {
    this.commands = commands;
    this.tag = tag;
    List<String> comment = List.of("-m", "comment", "--comment", tag);
    // Specs in the order and form iptables -S prints them, so that rules in place compare equal.
    this.wanted =
        List.of(
            new Rule(
                "nat",
                "POSTROUTING",
                false,
                concat(
                    List.of("-s", cidr.networkCidr(), "!", "-o", bridge),
                    comment,
                    List.of("-j", "MASQUERADE"))),
            new Rule(
                "filter",
                "FORWARD",
                true,
                concat(List.of("-i", bridge), comment, List.of("-j", "ACCEPT"))),
            new Rule(
                "filter",
                "FORWARD",
                true,
                concat(
                    List.of("-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"),
                    comment,
                    List.of("-j", "ACCEPT"))));
  }

  /** Deletes tagged rules that are not wanted (or are duplicates), then adds the missing ones. */
  void ensure() throws InterruptedException {
    for (String table : List.of("nat", "filter")) {
      Set<List<String>> present = new HashSet<>();
      for (List<String> line : taggedRules(table)) {
        boolean isWanted =
            wanted.stream().anyMatch(r -> r.table().equals(table) && r.listed().equals(line));
        if (!isWanted || !present.add(line)) {
          delete(table, line);
        }
      }
      for (Rule rule : wanted) {
        if (rule.table().equals(table) && !present.contains(rule.listed())) {
          List<String> argv =
              new ArrayList<>(
                  List.of(
                      "iptables", "-w", "-t", table, rule.atHead() ? "-I" : "-A", rule.chain()));
          argv.addAll(rule.spec());
          commands.check(
              "could not add a NAT rule to iptables table " + table, argv.toArray(String[]::new));
        }
      }
    }
  }

  void remove() throws InterruptedException {
    for (String table : List.of("nat", "filter")) {
      for (List<String> line : taggedRules(table)) {
        delete(table, line);
      }
    }
  }

  private void delete(String table, List<String> listed) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("iptables", "-w", "-t", table, "-D"));
    argv.addAll(listed.subList(1, listed.size()));
    commands.check(
        "could not delete a NAT rule from iptables table " + table, argv.toArray(String[]::new));
  }

  /** The {@code -A} lines of the table whose comment is exactly the tag, as words. */
  private List<List<String>> taggedRules(String table) throws InterruptedException {
    CommandResult result =
        commands.check(
            "could not list iptables table " + table, "iptables", "-w", "-t", table, "-S");
    List<List<String>> tagged = new ArrayList<>();
    for (String line : result.stdout().split("\n")) {
      List<String> words = words(line);
      if (words.size() > 2 && words.get(0).equals("-A") && hasTag(words)) {
        tagged.add(words);
      }
    }
    return tagged;
  }

  private boolean hasTag(List<String> words) {
    for (int i = 0; i + 1 < words.size(); i++) {
      if (words.get(i).equals("--comment") && words.get(i + 1).equals(tag)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Splits an {@code iptables -S} line into words as iptables-save quotes them: double quotes
   * around words with spaces, backslash escaping a quote or backslash inside them.
   */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '\\' && i + 1 < line.length()) {
          word.append(line.charAt(++i));
        } else if (c == '"') {
          quoted = false;
        } else {
          word.append(c);
        }
      } else if (c == '"') {
        quoted = true;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> p : parts) {
      all.addAll(p);
    }
    return List.copyOf(all);
  }
}
