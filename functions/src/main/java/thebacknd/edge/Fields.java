package thebacknd.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import thebacknd.Failure;

/**
 * Strict reading of a JSON request object: unknown fields and wrong types are refused with a
 * one-line 400 naming the field, before anything else happens.
 */
final class Fields {

  private final JsonNode object;

  private Fields(JsonNode object) {
    this.object = object;
  }

  static Fields of(JsonNode body, Set<String> allowed) {
    if (!body.isObject()) {
      throw Failure.badRequest("body_not_object", "The body must be a JSON object.");
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw Failure.badRequest(
            "unknown_field",
            "Unknown field \"" + Failure.excerpt(name, 40) + "\"; expected one of " + String.join(", ", allowed.stream().sorted().toList()) + ".");
      }
    }
    return new Fields(body);
  }

  Optional<String> optionalString(String name) {
    JsonNode value = object.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw wrongType(name, "a string");
    }
    return Optional.of(value.textValue());
  }

  String requiredString(String name) {
    return optionalString(name)
        .orElseThrow(() -> Failure.badRequest("missing_field", "Field \"" + name + "\" is required."));
  }

  Optional<Integer> optionalInt(String name) {
    JsonNode value = object.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw wrongType(name, "an integer");
    }
    return Optional.of(value.intValue());
  }

  int requiredInt(String name) {
    return optionalInt(name)
        .orElseThrow(() -> Failure.badRequest("missing_field", "Field \"" + name + "\" is required."));
  }

  /** An array of strings; empty when absent or null. */
  Optional<List<String>> optionalStrings(String name) {
    JsonNode value = object.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isArray()) {
      throw wrongType(name, "an array of strings");
    }
    List<String> strings = new ArrayList<>();
    for (JsonNode element : value) {
      if (!element.isTextual()) {
        throw wrongType(name, "an array of strings");
      }
      strings.add(element.textValue());
    }
    return Optional.of(strings);
  }

  boolean optionalBoolean(String name, boolean fallback) {
    JsonNode value = object.get(name);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw wrongType(name, "true or false");
    }
    return value.booleanValue();
  }

  private static Failure wrongType(String name, String expected) {
    return Failure.badRequest("wrong_type", "Field \"" + name + "\" must be " + expected + ".");
  }
}
