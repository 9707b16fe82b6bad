package thebacknd.cli;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON value as the CLI reads API answers: a small parser and writer on the JDK alone, so that a
 * command never loads Jackson (its start-up is most of a short command's time). Reading mirrors
 * Jackson's {@code JsonNode}: {@link #path} never returns null (a missing field is {@link #MISSING}),
 * {@link #asText()} and friends convert, iterating an array gives its elements.
 *
 * <pre>{@code
 * JsonValue vm = reply.body().path("vm");
 * String name = vm.path("name").asText();
 * for (JsonValue ip : vm.path("public_ips")) { … }
 * }</pre>
 */
final class JsonValue implements Iterable<JsonValue> {

  private enum Type { OBJECT, ARRAY, STRING, NUMBER, BOOLEAN, NULL, MISSING }

  static final JsonValue NULL = new JsonValue(Type.NULL, null);
  static final JsonValue MISSING = new JsonValue(Type.MISSING, null);
  private static final JsonValue TRUE = new JsonValue(Type.BOOLEAN, Boolean.TRUE);
  private static final JsonValue FALSE = new JsonValue(Type.BOOLEAN, Boolean.FALSE);

  private final Type type;
  /** Map (object), List (array), String (string, and a number's literal text), Boolean, or null. */
  private final Object value;

  private JsonValue(Type type, Object value) {
    this.type = type;
    this.value = value;
  }

  // ------------------------------------------------------------------ reading

  /** The field of an object, or {@link #MISSING} (also when this is not an object). */
  JsonValue path(String field) {
    if (type != Type.OBJECT) {
      return MISSING;
    }
    JsonValue found = object().get(field);
    return found == null ? MISSING : found;
  }

  /** The element of an array, or {@link #MISSING}. */
  JsonValue get(int index) {
    return type == Type.ARRAY && index >= 0 && index < array().size() ? array().get(index) : MISSING;
  }

  boolean has(String field) {
    return type == Type.OBJECT && object().containsKey(field);
  }

  boolean hasNonNull(String field) {
    return !path(field).isNull();
  }

  /** Null, or missing. */
  boolean isNull() {
    return type == Type.NULL || type == Type.MISSING;
  }

  boolean isObject() {
    return type == Type.OBJECT;
  }

  /** An array's or object's size; 0 for anything else. */
  int size() {
    return type == Type.ARRAY ? array().size() : type == Type.OBJECT ? object().size() : 0;
  }

  boolean isEmpty() {
    return size() == 0;
  }

  /** A string's text, a number's or boolean's literal; null for null, missing, arrays and objects. */
  String asText() {
    return switch (type) {
      case STRING, NUMBER -> (String) value;
      case BOOLEAN -> value.toString();
      default -> null;
    };
  }

  String asText(String whenNull) {
    String text = asText();
    return text == null ? whenNull : text;
  }

  /** A whole number (or a string holding one); {@code whenNot} otherwise. */
  long asLong(long whenNot) {
    if (type != Type.NUMBER && type != Type.STRING) {
      return whenNot;
    }
    try {
      return Long.parseLong((String) value);
    } catch (NumberFormatException e) {
      return whenNot;
    }
  }

  int asInt() {
    return (int) asLong(0);
  }

  /** A number (or a string holding one) as a double; null otherwise (also for NaN and infinities). */
  Double asNumber() {
    if (type != Type.NUMBER && type != Type.STRING) {
      return null;
    }
    try {
      double number = Double.parseDouble((String) value);
      return Double.isFinite(number) ? number : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  boolean asBoolean(boolean whenNot) {
    return type == Type.BOOLEAN ? (Boolean) value : whenNot;
  }

  /** An object's fields, in their order; nothing for anything else. */
  Iterable<Map.Entry<String, JsonValue>> fields() {
    return type == Type.OBJECT ? object().entrySet() : List.of();
  }

  /** An array's elements; nothing for anything else. */
  @Override
  public Iterator<JsonValue> iterator() {
    return type == Type.ARRAY ? array().iterator() : Collections.emptyIterator();
  }

  /** Compact JSON text, as the API writes it. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    write(this, out);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private Map<String, JsonValue> object() {
    return (Map<String, JsonValue>) value;
  }

  @SuppressWarnings("unchecked")
  private List<JsonValue> array() {
    return (List<JsonValue>) value;
  }

  // ------------------------------------------------------------------ writing

  /** An object to write, its fields in the order given: {@code object("name", name, "dry_run", false)}. */
  static Map<String, Object> object(Object... namesAndValues) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
      fields.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return fields;
  }

  /**
   * JSON text of a request body or of what the CLI prints: maps (in their order), lists, strings,
   * numbers, booleans, null and {@link JsonValue}s.
   */
  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value instanceof JsonValue json) {
      switch (json.type) {
        case OBJECT -> write(json.object(), out);
        case ARRAY -> write(json.array(), out);
        case STRING -> quote((String) json.value, out);
        case NUMBER -> out.append((String) json.value);
        case BOOLEAN -> out.append(json.value);
        default -> out.append("null");
      }
    } else if (value == null) {
      out.append("null");
    } else if (value instanceof String text) {
      quote(text, out);
    } else if (value instanceof Number || value instanceof Boolean) {
      out.append(value);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        out.append(first ? "" : ",");
        first = false;
        quote(String.valueOf(entry.getKey()), out);
        out.append(':');
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof Iterable<?> items) {
      out.append('[');
      boolean first = true;
      for (Object item : items) {
        out.append(first ? "" : ",");
        first = false;
        write(item, out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("no JSON form for " + value.getClass().getSimpleName());
    }
  }

  private static void quote(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04X", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  // ------------------------------------------------------------------ parsing

  /** Parses one JSON value (RFC 8259) and nothing after it; {@link NotJson} otherwise. */
  static JsonValue parse(String text) {
    return JsonParser.parse(text);
  }

  /** Not JSON; the message says where. */
  static final class NotJson extends IllegalArgumentException {
    NotJson(String message) {
      super(message, null);
    }
  }

  static JsonValue ofObject(Map<String, JsonValue> fields) {
    return new JsonValue(Type.OBJECT, Collections.unmodifiableMap(fields));
  }

  static JsonValue ofArray(List<JsonValue> items) {
    return new JsonValue(Type.ARRAY, Collections.unmodifiableList(items));
  }

  static JsonValue ofString(String text) {
    return new JsonValue(Type.STRING, text);
  }

  /** A number, kept as its literal text (written back the same). */
  static JsonValue ofNumber(String literal) {
    return new JsonValue(Type.NUMBER, literal);
  }

  static JsonValue ofBoolean(boolean value) {
    return value ? TRUE : FALSE;
  }
}
