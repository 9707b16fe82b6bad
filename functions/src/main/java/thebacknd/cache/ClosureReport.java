package thebacknd.cache;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a closure check found: how many paths it read, and every path that is missing from the
 * cache, unsigned by a trusted key, or malformed.
 */
public record ClosureReport(StorePath root, int pathsChecked, List<PathProblem> problems) {

  /** How many problem paths a summary names before it says "and N more". */
  public static final int NAMED_IN_SUMMARY = 5;

  public ClosureReport {
    problems = List.copyOf(problems);
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
