package thebacknd.cache;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a closure check found: how many paths it read, every path that is missing from the
 * cache, unsigned by a trusted key, or malformed, and the agent's package when the closure holds
 * it (DESIGN §10).
 *
 * @param agent a path named {@code thebacknd-agent…} whose narinfo is in the cache and signed by a
 *     trusted key; an unsigned narinfo's references are not evidence, so an agent only such a
 *     narinfo names is not found
 */
public record ClosureReport(StorePath root, int pathsChecked, List<PathProblem> problems, Optional<StorePath> agent) {

  /** How many problem paths a summary names before it says "and N more". */
  public static final int NAMED_IN_SUMMARY = 5;
  /** The name of the agent's package ({@code writeShellApplication { name = "thebacknd-agent"; }}). */
  public static final String AGENT_NAME = "thebacknd-agent";

  public ClosureReport {
    problems = List.copyOf(problems);
  }

  /** Whether {@code path} is named like the agent's package: {@code thebacknd-agent…}. */
  public static boolean isAgent(StorePath path) {
    return path.name().startsWith(AGENT_NAME);
  }

  /** One path that failed, and why: {@code missing}, {@code unsigned: …} or {@code malformed: …}. */
  public record PathProblem(StorePath path, String reason) {}

  public boolean trusted() {
    return problems.isEmpty();
  }

  /** One sentence naming at most five problem paths and how many more there are. */
  public String summary() {
    if (trusted()) {
      return "All " + pathsChecked + " paths in the closure of " + root + " are in the cache and signed by a trusted key.";
    }
    String named =
        problems.stream()
            .limit(NAMED_IN_SUMMARY)
            .map(p -> p.path() + " (" + p.reason() + ")")
            .collect(Collectors.joining(", "));
    int more = problems.size() - NAMED_IN_SUMMARY;
    return "The closure of " + root + " is not fetchable and trusted: "
        + named
        + (more > 0 ? " and " + more + " more" : "")
        + ".";
  }
}
