package thebacknd.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads JSON text (RFC 8259) into {@link JsonValue}s: one value and nothing after it. */
final class JsonParser {

  /** Deeper than any answer of ours; keeps a hostile answer from overflowing the stack. */
  private static final int MAX_DEPTH = 200;

  private final String text;
  private int at;

  private JsonParser(String text) {
    this.text = text;
  }

  static JsonValue parse(String text) {
    JsonParser parser = new JsonParser(text);
    parser.skipSpace();
    JsonValue value = parser.value(0);
    parser.skipSpace();
    if (parser.at < text.length()) {
      throw parser.error("unexpected text after the value");
    }
    return value;
  }

  private JsonValue value(int depth) {
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
      case '"' -> JsonValue.ofString(string());
      case 't' -> literal("true", JsonValue.ofBoolean(true));
      case 'f' -> literal("false", JsonValue.ofBoolean(false));
      case 'n' -> literal("null", JsonValue.NULL);
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
      return JsonValue.ofObject(fields);
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
        return JsonValue.ofObject(fields);
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
      return JsonValue.ofArray(items);
    }
    while (true) {
      skipSpace();
      items.add(value(depth + 1));
      skipSpace();
      char next = next();
      if (next == ']') {
        return JsonValue.ofArray(items);
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
          // Four hex digits exactly: Integer.parseInt would also take a sign ("\\u-001", "\\u+7ff").
          int code = 0;
          for (int end = at + 4; at < end; at++) {
            code = code * 16 + hexDigit(text.charAt(at));
          }
          out.append((char) code);
        }
        default -> throw error("bad escape \\" + escaped);
      }
    }
  }

  /** 0-9, a-f, A-F only (Character.digit would take other scripts' digits too). */
  private int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    throw error("bad \\u escape");
  }

  private JsonValue number() {
    int start = at;
    if (peek() == '-') {
      at++;
    }
    // RFC 8259: the integer part is 0, or starts with 1-9 (no leading zeros: "01", "-0123").
    if (peek() == '0') {
      at++;
      if (peek() >= '0' && peek() <= '9') {
        throw error("leading zero");
      }
    } else if (!digits()) {
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
    return JsonValue.ofNumber(text.substring(start, at));
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

  private void skipSpace() {
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

  JsonValue.NotJson error(String what) {
    return new JsonValue.NotJson("not JSON: " + what + " at character " + (at + 1));
  }
}
