package thebacknd.vm;

import static thebacknd.vm.LeaseItem.ASSIGNMENT;
import static thebacknd.vm.LeaseItem.AT;
import static thebacknd.vm.LeaseItem.CLAIMED_AT;
import static thebacknd.vm.LeaseItem.FROM_POOL;
import static thebacknd.vm.LeaseItem.NAME;
import static thebacknd.vm.LeaseItem.POOL;
import static thebacknd.vm.LeaseItem.POOL_LOCK;
import static thebacknd.vm.LeaseItem.TIMINGS;
import static thebacknd.vm.LeaseItem.VM_ID;
import static thebacknd.vm.LeaseItem.lease;
import static thebacknd.vm.LeaseItem.s;
import static thebacknd.vm.LeaseItem.text;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import thebacknd.Log;
import thebacknd.aws.AwsErrors;

/**
 * The leases table ({@code THEBACKND_LEASES_TABLE}, key {@code name}, DESIGN §9). Every write is
 * conditional on what a read of ours saw, so two creates can never both hold a slot: a claim of a
 * free slot requires that it still has no item, a reclaim that the stale lease is still exactly
 * the one seen, recording an instance and releasing that the lease is still this VM's.
 *
 * <p>Items: {@code name} (S), {@code vm_id} (S), {@code claimed_at} (S, ISO-8601) and, once the
 * launch is recorded, {@code instance_id} (S) and {@code expires_at} (S, ISO-8601: the deadline
 * it launched with, for a VM listed before EC2 shows it).
 */
public final class Leases {

  private final DynamoDbClient dynamoDb;
  private final String table;

  public Leases(DynamoDbClient dynamoDb, String table) {
    this.dynamoDb = dynamoDb;
    this.table = table;
  }

  /** Every lease, read consistently (the table holds at most a few dozen items). */
  public List<Lease> all() {
    ScanRequest scan = ScanRequest.builder().tableName(table).consistentRead(true).build();
    return AwsErrors.call(
        "DynamoDB",
        "Scan",
        () -> dynamoDb.scanPaginator(scan).items().stream().flatMap(item -> lease(item).stream()).toList());
  }

  /** The lease of one name, read consistently: which VM the name stands for now. */
  public Optional<Lease> named(String name) {
    GetItemRequest get = GetItemRequest.builder().tableName(table).key(Map.of(NAME, s(name))).consistentRead(true).build();
    return AwsErrors.call("DynamoDB", "GetItem", () -> {
      Map<String, AttributeValue> item = dynamoDb.getItem(get).item();
      return item == null || item.isEmpty() ? Optional.<Lease>empty() : lease(item);
    });
  }

  /** The lease held by {@code vmId}, read consistently; empty once it was released. */
  public Optional<Lease> ofVm(String vmId) {
    ScanRequest scan =
        ScanRequest.builder()
            .tableName(table)
            .consistentRead(true)
            .filterExpression("vm_id = :vm")
            .expressionAttributeValues(Map.of(":vm", s(vmId)))
            .build();
    return AwsErrors.call(
            "DynamoDB",
            "Scan",
            () -> dynamoDb.scanPaginator(scan).items().stream().flatMap(item -> lease(item).stream()).toList())
        .stream()
        .filter(lease -> vmId.equals(lease.vmId()))
        .findFirst();
  }

  /**
   * Claims a {@link Slots.Free} or {@link Slots.Reclaimable} slot for {@code vmId}; empty when a
   * concurrent create got there first. A claim whose first answer was lost and whose retry then
   * found our own lease counts as ours.
   */
  Optional<Lease> claim(Slots.Slot slot, String vmId, Instant now) {
    return claim(slot, vmId, now, Optional.empty(), Optional.empty());
  }

  /**
   * {@link #claim(Slots.Slot, String, Instant)} that also stamps when the create was received
   * ({@code requested}) and, for a pooled VM, its pool key: a top-up counts it from the claim on.
   */
  Optional<Lease> claim(Slots.Slot slot, String vmId, Instant now, Optional<Instant> requested, Optional<String> pool) {
    Map<String, String> timeline = requested.map(at -> Map.of(Timeline.REQUESTED, Timeline.stamp(at))).orElse(Map.of());
    Lease lease = new Lease(slot.name(), vmId, now, Optional.empty(), Optional.empty(), timeline, Optional.empty(), pool, false, Optional.empty());
    Map<String, AttributeValue> values = new HashMap<>();
    String condition;
    if (slot instanceof Slots.Evictable evictable) {
      // Only while it is still an unclaimed pooled VM: its claim removes the pool key.
      values.put(":seen_vm", s(evictable.pooled().vmId()));
      condition = "vm_id = :seen_vm AND attribute_exists(#pool)";
    } else if (slot instanceof Slots.Reclaimable reclaimable) {
      Lease stale = reclaimable.stale();
      values.put(":seen_vm", s(stale.vmId()));
      condition = "vm_id = :seen_vm AND ";
      if (stale.instanceId().isPresent()) {
        values.put(":seen_instance", s(stale.instanceId().get()));
        condition += "instance_id = :seen_instance";
      } else {
        condition += "attribute_not_exists(instance_id)";
      }
    } else if (slot instanceof Slots.Free) {
      condition = "attribute_not_exists(#name)";
    } else {
      throw new IllegalArgumentException(slot + " cannot be claimed");
    }
    Map<String, AttributeValue> item = new HashMap<>(Map.of(NAME, s(slot.name()), VM_ID, s(vmId), CLAIMED_AT, s(now.toString())));
    timeline.forEach((key, at) -> item.put(AT + key, s(at)));
    pool.ifPresent(key -> item.put(POOL, s(key)));
    PutItemRequest.Builder put =
        PutItemRequest.builder()
            .tableName(table)
            .item(item)
            .conditionExpression(condition)
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD);
    Map<String, String> names = new HashMap<>();
    if (condition.contains("#name")) {
      names.put("#name", NAME);
    }
    if (condition.contains("#pool")) {
      names.put("#pool", POOL);
    }
    if (!names.isEmpty()) {
      put.expressionAttributeNames(names);
    }
    if (!values.isEmpty()) {
      put.expressionAttributeValues(values);
    }
    boolean claimed =
        AwsErrors.call(
            "DynamoDB",
            "PutItem",
            () -> {
              try {
                dynamoDb.putItem(put.build());
                return true;
              } catch (ConditionalCheckFailedException taken) {
                return taken.hasItem() && vmId.equals(text(taken.item(), VM_ID));
              }
            });
    if (claimed && slot instanceof Slots.Reclaimable r) {
      Log.info("reclaimed " + slot.name() + " from vm_id " + r.stale().vmId() + ": " + r.why());
    }
    if (claimed && slot instanceof Slots.Evictable e) {
      Log.info("took " + slot.name() + " from the unclaimed pooled vm_id " + e.pooled().vmId() + " (evicted for a create at the cap)");
    }
    return claimed ? Optional.of(lease) : Optional.empty();
  }

  /** Records the launched instance; false when the lease is no longer this VM's. */
  boolean recordInstance(Lease lease, String instanceId) {
    return recordInstance(lease, instanceId, Optional.empty());
  }

  /** Records the launched instance and the deadline it launched with; false when the lease is no longer this VM's. */
  boolean recordInstance(Lease lease, String instanceId, Optional<Instant> expiresAt) {
    Map<String, AttributeValue> values = new HashMap<>(Map.of(":instance", s(instanceId), ":vm", s(lease.vmId())));
    expiresAt.ifPresent(at -> values.put(":expires", s(at.toString())));
    UpdateItemRequest update =
        UpdateItemRequest.builder()
            .tableName(table)
            .key(Map.of(NAME, s(lease.name())))
            .updateExpression(expiresAt.isPresent() ? "SET instance_id = :instance, expires_at = :expires" : "SET instance_id = :instance")
            .conditionExpression("vm_id = :vm")
            .expressionAttributeValues(values)
            .build();
    return conditionalUpdate(update);
  }

  /**
   * Records the launched instance, the deadline it launched with and when ({@code launched});
   * false when the lease is no longer this VM's.
   */
  boolean recordLaunch(Lease lease, String instanceId, Instant expiresAt, Instant launchedAt) {
    UpdateItemRequest update =
        UpdateItemRequest.builder()
            .tableName(table)
            .key(Map.of(NAME, s(lease.name())))
            .updateExpression("SET instance_id = :instance, expires_at = :expires, " + AT + Timeline.LAUNCHED + " = :launched")
            .conditionExpression("vm_id = :vm")
            .expressionAttributeValues(Map.of(
                ":instance", s(instanceId), ":vm", s(lease.vmId()), ":expires", s(expiresAt.toString()),
                ":launched", s(Timeline.stamp(launchedAt))))
            .build();
    return conditionalUpdate(update);
  }

  /**
   * Stamps a phase report on the lease of {@code vmId} called {@code name} (the first report of
   * that phase only) and keeps the agent's timings when it sent them; false when the lease is no
   * longer this VM's (it is gone).
   */
  boolean stampReport(String name, String vmId, Phase phase, Instant at, Optional<Timings> timings) {
    Map<String, AttributeValue> values = new HashMap<>(Map.of(":vm", s(vmId)));
    Map<String, String> names = new HashMap<>();
    List<String> sets = new java.util.ArrayList<>();
    if (Timeline.stamps(phase)) {
      names.put("#at", AT + phase.wire());
      values.put(":at", s(Timeline.stamp(at)));
      sets.add("#at = if_not_exists(#at, :at)");
    }
    timings.ifPresent(t -> {
      names.put("#timings", TIMINGS);
      values.put(":timings", s(t.toJson()));
      sets.add("#timings = :timings");
    });
    if (sets.isEmpty()) {
      return true;
    }
    UpdateItemRequest update =
        UpdateItemRequest.builder()
            .tableName(table)
            .key(Map.of(NAME, s(name)))
            .updateExpression("SET " + String.join(", ", sets))
            .conditionExpression("vm_id = :vm")
            .expressionAttributeNames(names)
            .expressionAttributeValues(values)
            .build();
    return conditionalUpdate(update);
  }

  /**
   * Claims the unclaimed pooled VM of {@code pooled} for a create, in one conditional write: only
   * while its lease is still that VM's, in the pool (the key it had) and unassigned, so two creates
   * never get the same VM. Records the assignment, the new deadline, when the create was received
   * and when it was claimed; the pool key goes. False when another create (or an eviction) got it first.
   */
  boolean claimPooled(Lease pooled, Assignment assignment, Instant requested, Instant claimedAt) {
    Map<String, AttributeValue> values = new HashMap<>(Map.of(
        ":vm", s(pooled.vmId()),
        ":pool", s(pooled.pool().orElseThrow()),
        ":assignment", s(assignment.toJson()),
        ":expires", s(assignment.expiresAt().toString()),
        ":requested", s(Timeline.stamp(requested)),
        ":claimed", s(Timeline.stamp(claimedAt)),
        ":true", s("true")));
    UpdateItemRequest update =
        UpdateItemRequest.builder()
            .tableName(table)
            .key(Map.of(NAME, s(pooled.name())))
            .updateExpression(
                "SET #assignment = :assignment, expires_at = :expires, #requested = :requested, #claimed = :claimed,"
                    + " #from_pool = :true REMOVE #pool")
            .conditionExpression("vm_id = :vm AND #pool = :pool AND attribute_not_exists(#assignment)")
            .expressionAttributeNames(Map.of(
                "#assignment", ASSIGNMENT, "#pool", POOL, "#from_pool", FROM_POOL,
                "#requested", AT + Timeline.REQUESTED, "#claimed", AT + Timeline.CLAIMED))
            .expressionAttributeValues(values)
            .build();
    return conditionalUpdate(update);
  }

  /**
   * Takes the pool's top-up lock for {@code token} (one top-up at a time, so two never both fill
   * the same shortfall); a lock older than {@code staleAfter} (a top-up that died) is taken over.
   */
  boolean lockPool(String token, Instant now, java.time.Duration staleAfter) {
    PutItemRequest put =
        PutItemRequest.builder()
            .tableName(table)
            .item(Map.of(NAME, s(POOL_LOCK), VM_ID, s(token), CLAIMED_AT, s(now.toString())))
            .conditionExpression("attribute_not_exists(#name) OR claimed_at < :stale")
            .expressionAttributeNames(Map.of("#name", NAME))
            .expressionAttributeValues(Map.of(":stale", s(now.minus(staleAfter).toString())))
            .build();
    return AwsErrors.call("DynamoDB", "PutItem", () -> {
      try {
        dynamoDb.putItem(put);
        return true;
      } catch (ConditionalCheckFailedException held) {
        return false;
      }
    });
  }

  void unlockPool(String token) {
    release(POOL_LOCK, token);
  }

  private boolean conditionalUpdate(UpdateItemRequest update) {
    return AwsErrors.call(
        "DynamoDB",
        "UpdateItem",
        () -> {
          try {
            dynamoDb.updateItem(update);
            return true;
          } catch (ConditionalCheckFailedException notOurs) {
            return false;
          }
        });
  }

  /** Frees the slot {@code name} if it is still leased to {@code vmId}; otherwise changes nothing. */
  public void release(String name, String vmId) {
    DeleteItemRequest delete =
        DeleteItemRequest.builder()
            .tableName(table)
            .key(Map.of(NAME, s(name)))
            .conditionExpression("vm_id = :vm")
            .expressionAttributeValues(Map.of(":vm", s(vmId)))
            .build();
    AwsErrors.call(
        "DynamoDB",
        "DeleteItem",
        () -> {
          try {
            return dynamoDb.deleteItem(delete);
          } catch (ConditionalCheckFailedException alreadyFreeOrReleased) {
            return null;
          }
        });
  }
}
