package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the CLI's own JSON reader against Jackson's streaming parser with its strict defaults
 * (RFC 8259: no leading zeros, no comments, no unquoted names, no control characters in strings):
 * any text both accept reads as the same value, and any text one refuses the other refuses.
 */
class JsonParserFuzzTest {

  /** Below our nesting bound and Jackson's number-length bound, so neither limit decides. */
  private static final int MAX_LENGTH = 200;

  private static final JsonFactory JACKSON = new JsonFactory();

  @FuzzTest
  void matchesJacksonsStrictParser(byte[] input) throws IOException {
    String text = new String(input, StandardCharsets.UTF_8);
    if (text.length() > MAX_LENGTH) {
      return;
    }
    String ours;
    try {
      ours = JsonParser.parse(text).toString();
    } catch (JsonValue.NotJson refused) {
      ours = null;
    }
    if (nonAsciiInAUnicodeEscape(text)) {
      // Jackson 2.20 reads any character by its low byte as a hex digit (U+0637 as 7): ours refuses it.
      assertEquals(null, ours, "text: " + JsonValue.write(text));
      return;
    }
    String jacksons = jackson(text);
    assertEquals(jacksons, ours, "text: " + JsonValue.write(text));
  }

  /** A backslash-u escape (after an odd run of backslashes) with a non-ASCII character among its four digits. */
  private static boolean nonAsciiInAUnicodeEscape(String text) {
    int backslashes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 'u' && backslashes % 2 == 1) {
        for (int j = i + 1; j <= i + 4 && j < text.length(); j++) {
          if (text.charAt(j) > 127) {
            return true;
          }
        }
      }
      backslashes = c == '\\' ? backslashes + 1 : 0;
    }
    return false;
  }

  /** The value Jackson reads, written as {@link JsonValue} writes it; null when Jackson refuses it. */
  private static String jackson(String text) throws IOException {
    try (com.fasterxml.jackson.core.JsonParser parser = JACKSON.createParser(text)) {
      if (parser.nextToken() == null) {
        return null; // nothing but white space
      }
      JsonValue value = read(parser);
      return parser.nextToken() == null ? value.toString() : null;
    } catch (JsonProcessingException refused) {
      return null;
    }
  }

  private static JsonValue read(com.fasterxml.jackson.core.JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, JsonValue> fields = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          fields.put(name, read(parser));
        }
        return JsonValue.ofObject(fields);
      }
      case START_ARRAY -> {
        List<JsonValue> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(read(parser));
        }
        return JsonValue.ofArray(items);
      }
      case VALUE_STRING -> {
        return JsonValue.ofString(parser.getText());
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return JsonValue.ofNumber(parser.getText());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return JsonValue.ofBoolean(token == JsonToken.VALUE_TRUE);
      }
      case VALUE_NULL -> {
        return JsonValue.NULL;
      }
      default -> throw new AssertionError("unexpected token " + token);
    }
  }
}
