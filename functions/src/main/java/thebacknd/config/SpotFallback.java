package thebacknd.config;

import java.util.Arrays;
import java.util.Optional;

/** What a spot create does when no type has spot capacity ({@code THEBACKND_SPOT_FALLBACK}, DESIGN §3, §9). */
public enum SpotFallback {
  /** Try the same types on demand. */
  ON_DEMAND("on-demand"),
  /** Fail with 503. */
  NONE("none");

  private final String wire;

  SpotFallback(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  static Optional<SpotFallback> parse(String text) {
    return Arrays.stream(values()).filter(f -> f.wire.equals(text)).findFirst();
  }
}
