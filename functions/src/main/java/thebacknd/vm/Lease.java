package thebacknd.vm;

import java.time.Instant;
import java.util.Optional;

/**
 * One item of the leases table: the name slot {@code name} belongs to the create of {@code vmId}
 * since {@code claimedAt}; {@code instanceId} (and the deadline it launched with, {@code
 * expiresAt}) once its launch is recorded. A lease authorises nothing: it keeps a name and a place
 * under the cap, and says, strongly consistent, which VM a name stands for.
 */
public record Lease(String name, String vmId, Instant claimedAt, Optional<String> instanceId, Optional<Instant> expiresAt) {

  public Lease(String name, String vmId, Instant claimedAt, Optional<String> instanceId) {
    this(name, vmId, claimedAt, instanceId, Optional.empty());
  }
}
