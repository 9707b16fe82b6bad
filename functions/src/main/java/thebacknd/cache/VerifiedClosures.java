package thebacknd.cache;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The closures a warm process has proved trusted, so that a repeated {@code create} of the same
 * path does not read its thousands of narinfos again. Each is remembered with the trusted keys it
 * was verified against, its root's narinfo fingerprint, and when: at most {@link #MAX_AGE}, and
 * only for the same keys (another key set proves nothing about what this one verified). A
 * failed check is never remembered. Safe to use from many threads.
 */
public final class VerifiedClosures {

  /** How long a verified closure is believed without reading it all again. */
  public static final Duration MAX_AGE = Duration.ofHours(24);
  /** Closures remembered at once; the oldest verified is forgotten first. */
  public static final int MAX_ENTRIES = 1024;

  /**
   * A closure verified at {@code at} against {@code trustedKeys} (their text), whose root's
   * narinfo had {@code rootFingerprint}.
   */
  public record Verified(ClosureReport report, String trustedKeys, String rootFingerprint, Instant at) {}

  private final Clock clock;
  private final boolean remembering;
  private final Map<StorePath, Verified> byRoot =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<StorePath, Verified> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  private VerifiedClosures(Clock clock, boolean remembering) {
    this.clock = clock;
    this.remembering = remembering;
  }

  /** A memo that remembers for {@link #MAX_AGE} by {@code clock}. */
  public static VerifiedClosures remembering(Clock clock) {
    return new VerifiedClosures(clock, true);
  }

  /** A memo that remembers nothing: every check reads the whole closure (as before there was one). */
  public static VerifiedClosures none() {
    return new VerifiedClosures(Clock.systemUTC(), false);
  }

  /** What is remembered of {@code root} verified against {@code keys} less than {@link #MAX_AGE} ago. */
  public synchronized Optional<Verified> recall(StorePath root, TrustedKeys keys) {
    Verified verified = byRoot.get(root);
    if (verified == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (!verified.trustedKeys().equals(keys.text()) || !now.isBefore(verified.at().plus(MAX_AGE)) || now.isBefore(verified.at())) {
      return Optional.empty();
    }
    return Optional.of(verified);
  }

  /** Remembers a trusted closure (an untrusted report is ignored), as verified now. */
  public synchronized void remember(ClosureReport report, TrustedKeys keys, NarInfo root) {
    if (!remembering || !report.trusted() || !root.storePath().equals(report.root())) {
      return;
    }
    byRoot.remove(report.root());
    byRoot.put(report.root(), new Verified(report, keys.text(), root.fingerprint(), clock.instant()));
  }

  public synchronized void forget(StorePath root) {
    byRoot.remove(root);
  }

  public synchronized int size() {
    return byRoot.size();
  }
}
