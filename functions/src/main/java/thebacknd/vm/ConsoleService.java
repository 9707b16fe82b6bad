package thebacknd.vm;

import java.time.Instant;

/**
 * {@code GET /console?name=N}: a live VM's serial console (EC2 GetConsoleOutput), for a VM whose
 * agent never ran or never reached the API . Only our tagged instances are looked at.
 */
public final class ConsoleService {

  /** @param timestamp when EC2 captured the output; null when it has none yet */
  public record Console(String name, String vmId, String instanceId, Instant timestamp, String output) {}

  private final Fleet fleet;
  private final Names names;

  public ConsoleService(Fleet fleet, Names names) {
    this.fleet = fleet;
    this.names = names;
  }

  /** The console of the live VM its lease gives {@code name} to; 404 when none has it. */
  public Console latest(String name) {
    return fleet.console(names.requireLive(name));
  }
}
