package thebacknd.cli;

import java.util.ArrayList;
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

  boolean asBoolean(boolean whenNot) {
    return type == Type.BOOLEAN ? (Boolean) value : whenNot;
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

  /** Parses one JSON value (RFC 8259) and nothing after it. */
  static JsonValue parse(String text) {
    Parser parser = new Parser(text);
    parser.skipSpace();
    JsonValue value = parser.value(0);
    parser.skipSpace();
    if (parser.at < text.length()) {
      throw parser.error("unexpected text after the value");
    }
    return value;
  }

  /** Not JSON; the message says where. */
  static final class NotJson extends IllegalArgumentException {
    NotJson(String message) {
      super(message, null);
    }
  }

  private static final class Parser {
    /** Deeper than any answer of ours; keeps a hostile answer from overflowing the stack. */
    private static final int MAX_DEPTH = 200;

    private final String text;
    private int at;

    Parser(String text) {
      this.text = text;
    }

    JsonValue value(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nested too deeply");
      }
      if (at >= text.length()) {
        throw error("unexpected end");
      }
      char c = text.charAt(at);
      return switch (c) {
        case '{' -> object(depth);
        case '[' -> array(depth);
        case '"' -> new JsonValue(Type.STRING, string());
        case 't' -> literal("true", TRUE);
        case 'f' -> literal("false", FALSE);
        case 'n' -> literal("null", NULL);
        default -> {
          if (c == '-' || (c >= '0' && c <= '9')) {
            yield number();
          }
          throw error("unexpected '" + c + "'");
        }
      };
    }

    private JsonValue object(int depth) {
      at++;
      Map<String, JsonValue> fields = new LinkedHashMap<>();
      skipSpace();
      if (peek() == '}') {
        at++;
        return new JsonValue(Type.OBJECT, Collections.unmodifiableMap(fields));
      }
      while (true) {
        skipSpace();
        if (peek() != '"') {
          throw error("expected a field name");
        }
        String name = string();
        skipSpace();
        expect(':');
        skipSpace();
        fields.put(name, value(depth + 1));
        skipSpace();
        char next = next();
        if (next == '}') {
          return new JsonValue(Type.OBJECT, Collections.unmodifiableMap(fields));
        }
        if (next != ',') {
          throw error("expected ',' or '}'");
        }
      }
    }

    private JsonValue array(int depth) {
      at++;
      List<JsonValue> items = new ArrayList<>();
      skipSpace();
      if (peek() == ']') {
        at++;
        return new JsonValue(Type.ARRAY, Collections.unmodifiableList(items));
      }
      while (true) {
        skipSpace();
        items.add(value(depth + 1));
        skipSpace();
        char next = next();
        if (next == ']') {
          return new JsonValue(Type.ARRAY, Collections.unmodifiableList(items));
        }
        if (next != ',') {
          throw error("expected ',' or ']'");
        }
      }
    }

    private String string() {
      at++; // the opening quote
      StringBuilder out = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return out.toString();
        }
        if (c < 0x20) {
          throw error("control character in a string");
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        char escaped = next();
        switch (escaped) {
          case '"', '\\', '/' -> out.append(escaped);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (at + 4 > text.length()) {
              throw error("short \\u escape");
            }
            try {
              out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
            } catch (NumberFormatException e) {
              throw error("bad \\u escape");
            }
            at += 4;
          }
          default -> throw error("bad escape \\" + escaped);
        }
      }
    }

    private JsonValue number() {
      int start = at;
      if (peek() == '-') {
        at++;
      }
      if (!digits()) {
        throw error("expected a digit");
      }
      if (peek() == '.') {
        at++;
        if (!digits()) {
          throw error("expected a digit after '.'");
        }
      }
      if (peek() == 'e' || peek() == 'E') {
        at++;
        if (peek() == '+' || peek() == '-') {
          at++;
        }
        if (!digits()) {
          throw error("expected an exponent");
        }
      }
      return new JsonValue(Type.NUMBER, text.substring(start, at));
    }

    private boolean digits() {
      int start = at;
      while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
        at++;
      }
      return at > start;
    }

    private JsonValue literal(String word, JsonValue value) {
      if (!text.startsWith(word, at)) {
        throw error("unexpected '" + text.charAt(at) + "'");
      }
      at += word.length();
      return value;
    }

    void skipSpace() {
      while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
    }

    private char peek() {
      return at < text.length() ? text.charAt(at) : '\0';
    }

    private char next() {
      if (at >= text.length()) {
        throw error("unexpected end");
      }
      return text.charAt(at++);
    }

    private void expect(char c) {
      if (next() != c) {
        throw error("expected '" + c + "'");
      }
    }

    NotJson error(String what) {
      return new NotJson("not JSON: " + what + " at character " + (at + 1));
    }
  }
}
