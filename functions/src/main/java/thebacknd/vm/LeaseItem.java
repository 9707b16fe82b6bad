package thebacknd.vm;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import thebacknd.Failure;
import thebacknd.Log;

/**
 * A lease as the leases table holds it (see {@link Leases}): the item's attributes, and the
 * {@link Lease} an item read back stands for.
 */
final class LeaseItem {

  static final String NAME = "name";
  static final String VM_ID = "vm_id";
  static final String CLAIMED_AT = "claimed_at";
  static final String INSTANCE_ID = "instance_id";
  static final String EXPIRES_AT = "expires_at";
  /** A timeline stamp's attribute is this prefix and its key ({@code at_requested}, {@code at_running}). */
  static final String AT = "at_";
  static final String TIMINGS = "timings";
  /** The pool key of a pooled VM not claimed yet; removed by its claim. */
  static final String POOL = "pool";
  static final String FROM_POOL = "from_pool";
  static final String ASSIGNMENT = "assignment";
  /** The item that lets one pool top-up run at a time (not a name slot). */
  static final String POOL_LOCK = "pool-top-up";

  private LeaseItem() {}

  /** The lease an item stands for; empty (and logged) for an item that is not one. */
  static Optional<Lease> lease(Map<String, AttributeValue> item) {
    String name = text(item, NAME);
    String vmId = text(item, VM_ID);
    String claimedAt = text(item, CLAIMED_AT);
    try {
      if (name != null && vmId != null && claimedAt != null) {
        String expiresAt = text(item, EXPIRES_AT);
        Map<String, String> timeline = new HashMap<>();
        for (String key : Timeline.KEYS) {
          Optional.ofNullable(text(item, AT + key)).ifPresent(at -> timeline.put(key, at));
        }
        return Optional.of(new Lease(name, vmId, Instant.parse(claimedAt), Optional.ofNullable(text(item, INSTANCE_ID)),
            Optional.ofNullable(expiresAt).map(Instant::parse), timeline,
            Optional.ofNullable(text(item, TIMINGS)).flatMap(LeaseItem::timings),
            Optional.ofNullable(text(item, POOL)), "true".equals(text(item, FROM_POOL)),
            Optional.ofNullable(text(item, ASSIGNMENT)).flatMap(LeaseItem::assignment)));
      }
    } catch (DateTimeParseException e) {
      // logged below
    }
    Log.warn("ignoring a malformed item in the leases table: " + Stream.of(name, vmId, claimedAt).toList());
    return Optional.empty();
  }

  private static Optional<Assignment> assignment(String json) {
    try {
      return Optional.of(Assignment.fromJson(json));
    } catch (RuntimeException malformed) {
      Log.warn("ignoring a malformed assignment on a lease: " + Failure.excerpt(json, 80));
      return Optional.empty();
    }
  }

  private static Optional<Timings> timings(String json) {
    try {
      return Optional.of(Timings.fromJson(json));
    } catch (RuntimeException malformed) {
      Log.warn("ignoring malformed timings on a lease: " + Failure.excerpt(json, 80));
      return Optional.empty();
    }
  }

  static String text(Map<String, AttributeValue> item, String attribute) {
    AttributeValue value = item.get(attribute);
    return value == null ? null : value.s();
  }

  static AttributeValue s(String value) {
    return AttributeValue.builder().s(value).build();
  }
}
