package thebacknd.vm;

import java.time.Clock;
import java.time.Instant;
import thebacknd.Failure;

/**
 * {@code GET /console?name=N}: a live VM's serial console (EC2 GetConsoleOutput), for a VM whose
 * agent never ran or never reached the API (DESIGN §9). Only our tagged instances are looked at.
 */
public final class ConsoleService {

  /** @param timestamp when EC2 captured the output; null when it has none yet */
  public record Console(String name, String vmId, String instanceId, Instant timestamp, String output) {}

  private final Fleet fleet;
  private final Clock clock;

  public ConsoleService(Fleet fleet, Clock clock) {
    this.fleet = fleet;
    this.clock = clock;
  }

  public Console latest(String name) {
    Vm vm =
        fleet.live(clock.instant()).stream()
            .filter(v -> name.equals(v.name()))
            .findFirst()
            .orElseThrow(() -> new Failure(Failure.Kind.NOT_FOUND, "vm_not_found", "No live VM is named " + Failure.excerpt(name, 60) + "."));
    return fleet.console(vm);
  }
}
