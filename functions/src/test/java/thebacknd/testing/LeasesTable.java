package thebacknd.testing;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The leases table in moto, made as template.yaml makes it (key {@code name}, on demand), and its
 * items read straight from moto, so tests check what the functions wrote.
 */
public final class LeasesTable {

  public static final String NAME = "thebacknd-leases";

  private LeasesTable() {}

  /** Creates the table unless this moto account already has it. */
  public static void ensure() {
    DynamoDbClient dynamoDb = Moto.clients().dynamoDb();
    try {
      dynamoDb.describeTable(r -> r.tableName(NAME));
    } catch (ResourceNotFoundException absent) {
      dynamoDb.createTable(
          r -> r.tableName(NAME)
              .attributeDefinitions(a -> a.attributeName("name").attributeType(ScalarAttributeType.S))
              .keySchema(k -> k.attributeName("name").keyType(KeyType.HASH))
              .billingMode(BillingMode.PAY_PER_REQUEST));
    }
  }

  /** Every item, as attribute name → string value. */
  public static List<Map<String, String>> items() {
    return Moto.clients().dynamoDb().scanPaginator(r -> r.tableName(NAME).consistentRead(true)).items().stream()
        .map(item -> item.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> text(e.getValue()))))
        .toList();
  }

  /** The items keyed by slot name. */
  public static Map<String, Map<String, String>> byName() {
    return items().stream().collect(Collectors.toMap(i -> i.get("name"), i -> i));
  }

  /** Puts an item as it stands, for a test to set up a lease the functions will find. */
  public static void put(Map<String, String> item) {
    Moto.clients().dynamoDb().putItem(r -> r.tableName(NAME).item(
        item.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> AttributeValue.builder().s(e.getValue()).build()))));
  }

  private static String text(AttributeValue value) {
    return value.s() != null ? value.s() : value.toString();
  }
}
