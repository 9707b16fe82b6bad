package thebacknd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON mapper: snake_case field names (records stay camelCase in Java), ISO-8601 UTC
 * timestamps, nulls written out (absent values are {@code null} in the API, not missing).
 */
public final class Json {

  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  /**
   * Reads request bodies strictly: one JSON value and nothing after it ({@code {} {}} is not a
   * body), and no object naming a field twice (parsers disagree on which one counts).
   */
  private static final ObjectReader STRICT_READER =
      MAPPER.reader()
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

  private Json() {}

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
    }
  }

  public static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** Parses JSON text strictly, or fails with a one-line {@code malformed_json} answer. */
  public static JsonNode parse(String text) {
    try {
      JsonNode node = STRICT_READER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw Failure.badRequest("malformed_json", "The body is empty; send a JSON object.");
      }
      return node;
    } catch (JsonProcessingException e) {
      // Some refusals (nesting deeper than Jackson allows) come without a location.
      String where = e.getLocation() == null
          ? ""
          : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
      throw Failure.badRequest("malformed_json", "The body is not valid JSON" + where + ".");
    }
  }
}
