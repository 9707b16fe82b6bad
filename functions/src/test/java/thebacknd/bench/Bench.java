package thebacknd.bench;

import java.util.List;

/** What the benchmarks share: percentiles, printed the same way. */
final class Bench {

  private Bench() {}

  /** The value below which {@code percent} % of {@code values} lie (nearest rank). */
  static double percentile(List<Double> values, int percent) {
    List<Double> sorted = values.stream().sorted().toList();
    int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  static void printPercentiles(String label, List<Double> millis) {
    System.out.printf("  %-58s p50 %7.1f ms   p95 %7.1f ms%n", label, percentile(millis, 50), percentile(millis, 95));
  }
}
