package thebacknd.vm;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Why a VM should be destroyed now (DESIGN §3, §9): the one place that decides it, a pure function
 * of what EC2 holds of the VM, the clock and {@code THEBACKND_BOOT_TIMEOUT_MINUTES}. Both reasons
 * make {@code should_be_destroyed} true, so {@code destroy-old} terminates the VM.
 */
public enum DestroyReason {
  /** Its deadline ({@code thebacknd:expires-at}, or launch + the default TTL) has passed; wins over the other. */
  EXPIRED,
  /**
   * The boot timeout has passed since launch and its agent never reported past {@code booting}: no
   * phase at all, or {@code booting}. A VM that reported {@code fetching} or later has an agent
   * that talks to us; its deadline bounds it.
   */
  UNRESPONSIVE;

  /** The phase the API shows for an unresponsive VM (DESIGN §5); never one an agent may report. */
  public static final String UNRESPONSIVE_PHASE = "unresponsive";

  /**
   * @param phase what the VM reported last ({@code thebacknd:phase}), or the phase the API showed
   *     for it; null when it never reported
   */
  public static Optional<DestroyReason> of(Instant launchedAt, Instant expiresAt, String phase, Instant now, Duration bootTimeout) {
    if (!now.isBefore(expiresAt)) {
      return Optional.of(EXPIRED);
    }
    return unresponsive(launchedAt, phase, now, bootTimeout) ? Optional.of(UNRESPONSIVE) : Optional.empty();
  }

  /** Past launch + the boot timeout without a report past {@code booting}. */
  public static boolean unresponsive(Instant launchedAt, String phase, Instant now, Duration bootTimeout) {
    boolean silent = phase == null || Phase.BOOTING.wire().equals(phase) || UNRESPONSIVE_PHASE.equals(phase);
    return silent && !now.isBefore(launchedAt.plus(bootTimeout));
  }

  /** The lowercase name used in JSON ({@code destroy_reason}). */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
