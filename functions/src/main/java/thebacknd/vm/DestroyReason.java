package thebacknd.vm;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Why a VM should be destroyed now (DESIGN §3, §9): the one place that decides it, a pure function
 * of what EC2 holds of the VM, the clock and {@code THEBACKND_BOOT_TIMEOUT_MINUTES}. Every reason
 * make {@code should_be_destroyed} true, so {@code destroy-old} terminates the VM.
 */
public enum DestroyReason {
  /** Its deadline ({@code thebacknd:expires-at}, or launch + the default TTL) has passed; wins over unresponsive. */
  EXPIRED,
  /**
   * It reported {@code failed} and its deadline has passed: the failed report moved the deadline
   * to at most {@code THEBACKND_FAILED_KEEP_MINUTES} later, so it does not bill until its TTL
   * ({@code extend} keeps it longer, as for any VM).
   */
  FAILED,
  /**
   * The boot timeout has passed since launch and its agent has not reported {@code running},
   * {@code finished} or {@code failed} (DESIGN §3): it never booted, or is stuck fetching or
   * switching. ({@code interrupted} and {@code expiring} come after those: the VM is going anyway.)
   */
  UNRESPONSIVE;

  private static final Set<String> SETTLED = Set.of("running", "finished", "failed", "interrupted", "expiring");

  /** The phase the API shows for an unresponsive VM (DESIGN §5); never one an agent may report. */
  public static final String UNRESPONSIVE_PHASE = "unresponsive";

  /**
   * @param phase what the VM reported last ({@code thebacknd:phase}), or the phase the API showed
   *     for it; null when it never reported
   */
  public static Optional<DestroyReason> of(Instant launchedAt, Instant expiresAt, String phase, Instant now, Duration bootTimeout) {
    if (!now.isBefore(expiresAt)) {
      return Optional.of(Phase.FAILED.wire().equals(phase) ? FAILED : EXPIRED);
    }
    return unresponsive(launchedAt, phase, now, bootTimeout) ? Optional.of(UNRESPONSIVE) : Optional.empty();
  }

  /**
   * {@link #of(Instant, Instant, String, Instant, Duration)} for a VM of the warm pool or from it:
   * {@code since} is its claim once claimed (the boot timeout counts from there), else its launch;
   * an unclaimed VM ({@code waitingInPool}) that reported {@code pooled} is never unresponsive.
   */
  public static Optional<DestroyReason> of(
      Instant since, Instant expiresAt, String phase, Instant now, Duration bootTimeout, boolean waitingInPool) {
    if (!now.isBefore(expiresAt)) {
      return Optional.of(Phase.FAILED.wire().equals(phase) ? FAILED : EXPIRED);
    }
    return unresponsive(since, phase, now, bootTimeout, waitingInPool) ? Optional.of(UNRESPONSIVE) : Optional.empty();
  }

  static boolean unresponsive(Instant since, String phase, Instant now, Duration bootTimeout, boolean waitingInPool) {
    if (waitingInPool && Phase.POOLED.wire().equals(phase)) {
      return false;
    }
    return unresponsive(since, phase, now, bootTimeout);
  }

  /** {@link #shownPhase(Instant, String, Instant, Duration)} for a VM of the warm pool or from it (see {@link #of(Instant, Instant, String, Instant, Duration, boolean)}). */
  public static String shownPhase(Instant since, String reported, Instant now, Duration bootTimeout, boolean waitingInPool) {
    boolean silent = reported == null || Phase.BOOTING.wire().equals(reported) || UNRESPONSIVE_PHASE.equals(reported)
        || (!waitingInPool && Phase.POOLED.wire().equals(reported));
    return silent && unresponsive(since, reported, now, bootTimeout, waitingInPool) ? UNRESPONSIVE_PHASE : reported;
  }

  /** Past launch + the boot timeout without having reported {@code running}, {@code finished} or {@code failed}. */
  public static boolean unresponsive(Instant launchedAt, String phase, Instant now, Duration bootTimeout) {
    return (phase == null || !SETTLED.contains(phase)) && !now.isBefore(launchedAt.plus(bootTimeout));
  }

  /**
   * The phase the API shows: {@code unresponsive} for an unresponsive VM whose agent never reported
   * past {@code booting} (DESIGN §5); what the agent reported otherwise (a VM stuck fetching still
   * shows {@code fetching}, with {@code destroy_reason} {@code unresponsive}).
   */
  public static String shownPhase(Instant launchedAt, String reported, Instant now, Duration bootTimeout) {
    boolean silent = reported == null || Phase.BOOTING.wire().equals(reported) || UNRESPONSIVE_PHASE.equals(reported);
    return silent && unresponsive(launchedAt, reported, now, bootTimeout) ? UNRESPONSIVE_PHASE : reported;
  }

  /** The lowercase name used in JSON ({@code destroy_reason}). */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
