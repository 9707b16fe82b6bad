package thebacknd.cli;

import java.util.List;

/** "(did you mean 'list'?)" for a mistyped command or option: the closest known one, if close. */
final class DidYouMean {

  private DidYouMean() {}

  /** " (did you mean 'X'?)", or "" when nothing is within two edits (or a prefix of the typed word). */
  static String hint(String typed, List<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int distance = candidate.startsWith(typed) && typed.length() >= 3 ? 1 : distance(typed, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best != null && bestDistance <= Math.min(2, Math.max(1, typed.length() / 3)) ? " (did you mean '" + best + "'?)" : "";
  }

  /** Levenshtein distance, swaps of two neighbours counting one (optimal string alignment). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
