package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Why a VM should be destroyed: its deadline, or an agent that never reported past booting (DESIGN §3, §9). */
class DestroyReasonTest {

  private static final Instant LAUNCHED = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(15);

  @ParameterizedTest(name = "{0} min after launch, phase {1}, deadline +{2} min: {3}")
  @CsvSource(
      nullValues = "none",
      value = {
        "14, none, 60, none",
        "15, none, 60, unresponsive",
        "15, booting, 60, unresponsive",
        "15, unresponsive, 60, unresponsive",
        "15, fetching, 60, unresponsive",
        "14, fetching, 60, none",
        "50, switching, 60, unresponsive",
        "15, expiring, 60, none",
        "15, running, 60, none",
        "15, finished, 60, none",
        "15, failed, 60, none",
        "15, interrupted, 60, none",
        "60, running, 60, expired",
        "60, none, 60, expired",
        "10, booting, 10, expired",
      })
  void expiredWinsThenUnresponsiveForAgentsThatNeverReportedRunningFinishedOrFailed(int minutes, String phase, int ttl, String expected) {
    Optional<DestroyReason> reason = DestroyReason.of(
        LAUNCHED, LAUNCHED.plus(Duration.ofMinutes(ttl)), phase, LAUNCHED.plus(Duration.ofMinutes(minutes)), BOOT_TIMEOUT);
    assertEquals(Optional.ofNullable(expected), reason.map(DestroyReason::wire));
  }

  @Test
  void aBootTimeoutOfZeroMakesASilentVmUnresponsiveAtOnce() {
    assertTrue(DestroyReason.unresponsive(LAUNCHED, null, LAUNCHED, Duration.ZERO));
    assertFalse(DestroyReason.unresponsive(LAUNCHED, "running", LAUNCHED, Duration.ZERO));
  }
}
