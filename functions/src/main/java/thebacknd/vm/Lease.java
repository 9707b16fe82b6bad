package thebacknd.vm;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One item of the leases table: the name slot {@code name} belongs to the create of {@code vmId}
 * since {@code claimedAt}; {@code instanceId} (and the deadline it launched with, {@code
 * expiresAt}) once its launch is recorded. A lease authorises nothing: it keeps a name and a place
 * under the cap, and says, strongly consistent, which VM a name stands for.
 *
 * @param timeline the VM's stamps ({@link Timeline}), as far as they happened
 * @param timings what its agent measured, once it said
 * @param pool the pool key ({@code TYPE} or {@code TYPE:spot}) of a pooled VM not claimed yet
 * @param fromPool whether the VM was claimed from the pool
 * @param assignment what a claimed pooled VM is to run
 */
public record Lease(
    String name,
    String vmId,
    Instant claimedAt,
    Optional<String> instanceId,
    Optional<Instant> expiresAt,
    Map<String, String> timeline,
    Optional<Timings> timings,
    Optional<String> pool,
    boolean fromPool,
    Optional<Assignment> assignment) {

  public Lease {
    timeline = Map.copyOf(timeline);
  }

  public Lease(String name, String vmId, Instant claimedAt, Optional<String> instanceId, Optional<Instant> expiresAt) {
    this(name, vmId, claimedAt, instanceId, expiresAt, Map.of(), Optional.empty(), Optional.empty(), false, Optional.empty());
  }

  public Lease(String name, String vmId, Instant claimedAt, Optional<String> instanceId) {
    this(name, vmId, claimedAt, instanceId, Optional.empty());
  }

  /** A pooled VM waiting for its claim: in the pool, not claimed. */
  public boolean unclaimedPooled() {
    return pool.isPresent() && assignment.isEmpty();
  }

  /** A pooled VM whose agent reported {@code pooled}: it can be claimed now. */
  public boolean readyInPool() {
    return unclaimedPooled() && timeline.containsKey("pooled");
  }
}
