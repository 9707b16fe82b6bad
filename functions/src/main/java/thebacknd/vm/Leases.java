package thebacknd.vm;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
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

  static final String NAME = "name";
  static final String VM_ID = "vm_id";
  static final String CLAIMED_AT = "claimed_at";
  static final String INSTANCE_ID = "instance_id";
  static final String EXPIRES_AT = "expires_at";

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
    Lease lease = new Lease(slot.name(), vmId, now, Optional.empty());
    Map<String, AttributeValue> values = new HashMap<>();
    String condition;
    if (slot instanceof Slots.Reclaimable reclaimable) {
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
    PutItemRequest.Builder put =
        PutItemRequest.builder()
            .tableName(table)
            .item(Map.of(NAME, s(slot.name()), VM_ID, s(vmId), CLAIMED_AT, s(now.toString())))
            .conditionExpression(condition)
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD);
    if (condition.contains("#name")) {
      put.expressionAttributeNames(Map.of("#name", NAME));
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

  /** The lease an item stands for; empty (and logged) for an item that is not one. */
  private static Optional<Lease> lease(Map<String, AttributeValue> item) {
    String name = text(item, NAME);
    String vmId = text(item, VM_ID);
    String claimedAt = text(item, CLAIMED_AT);
    try {
      if (name != null && vmId != null && claimedAt != null) {
        String expiresAt = text(item, EXPIRES_AT);
        return Optional.of(new Lease(name, vmId, Instant.parse(claimedAt), Optional.ofNullable(text(item, INSTANCE_ID)),
            Optional.ofNullable(expiresAt).map(Instant::parse)));
      }
    } catch (DateTimeParseException e) {
      // logged below
    }
    Log.warn("ignoring a malformed item in the leases table: " + Stream.of(name, vmId, claimedAt).toList());
    return Optional.empty();
  }

  private static String text(Map<String, AttributeValue> item, String attribute) {
    AttributeValue value = item.get(attribute);
    return value == null ? null : value.s();
  }

  private static AttributeValue s(String value) {
    return AttributeValue.builder().s(value).build();
  }
}
