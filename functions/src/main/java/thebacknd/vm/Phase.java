package thebacknd.vm;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** How far a VM's boot got, as its agent reports it (DESIGN §5). */
public enum Phase {
  /** A warm-pool VM waiting for its claim (DESIGN §11). */
  POOLED,
  BOOTING,
  FETCHING,
  SWITCHING,
  RUNNING,
  FINISHED,
  FAILED,
  EXPIRING,
  /** A spot interruption notice arrived (DESIGN §9 "Capacity"). */
  INTERRUPTED;

  public static Optional<Phase> parse(String text) {
    return Arrays.stream(values()).filter(p -> p.wire().equals(text)).findFirst();
  }

  public static String allowed() {
    return Arrays.stream(values()).map(Phase::wire).collect(Collectors.joining(", "));
  }

  /** The lowercase name used in JSON and tags. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
