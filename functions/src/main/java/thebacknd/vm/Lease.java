package thebacknd.vm;

import java.time.Instant;
import java.util.Optional;

/**
 * One item of the leases table (DESIGN §9): the name slot {@code name} belongs to the create of
 * {@code vmId} since {@code claimedAt}; {@code instanceId} once its launch is recorded. A lease
 * authorises nothing: it only keeps a name and a place under the cap.
 */
public record Lease(String name, String vmId, Instant claimedAt, Optional<String> instanceId) {}
