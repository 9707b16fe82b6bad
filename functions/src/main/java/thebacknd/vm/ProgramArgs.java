package thebacknd.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import thebacknd.Failure;
import thebacknd.Json;

/**
 * A program's arguments (DESIGN §9): at most 64 strings and 8 KiB together, passed to it as its
 * argv through the user-data's {@code nix_args}, and shown in a {@code thebacknd:args} tag when
 * they fit one.
 */
public final class ProgramArgs {

  public static final int MAX_COUNT = 64;
  /**
   * Counted as the JSON array the user-data carries (quotes, commas and escapes included), so
   * the user-data stays under its 16 KiB whatever the arguments hold.
   */
  public static final int MAX_JSON_BYTES = 8 * 1024;

  private ProgramArgs() {}

  /** The arguments, checked; a one-line 400 saying what is wrong otherwise. */
  public static List<String> checked(List<String> args) {
    if (args.size() > MAX_COUNT) {
      throw Failure.badRequest("too_many_args", "args holds at most " + MAX_COUNT + " strings, got " + args.size() + ".");
    }
    for (int i = 0; i < args.size(); i++) {
      // argv strings end at a NUL byte: one inside would silently cut the argument.
      if (args.get(i).indexOf('\0') >= 0) {
        throw Failure.badRequest("invalid_args", "args[" + i + "] contains a NUL character, which no argument can hold.");
      }
    }
    int bytes = Json.write(args).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_JSON_BYTES) {
      throw Failure.badRequest("args_too_large", "args are at most " + MAX_JSON_BYTES + " bytes together as JSON, got " + bytes + ".");
    }
    return List.copyOf(args);
  }

  /** The {@code thebacknd:args} tag value: the JSON array, when it fits a tag. */
  static Optional<String> tagValue(List<String> args) {
    String json = Json.write(args);
    return json.length() <= VmTags.MAX_TAG_VALUE ? Optional.of(json) : Optional.empty();
  }

  /** The arguments in a {@code thebacknd:args} tag; null when absent or not a JSON array of strings. */
  static List<String> fromTag(String tag) {
    if (tag == null) {
      return null;
    }
    try {
      JsonNode array = Json.MAPPER.readTree(tag);
      if (array == null || !array.isArray()) {
        return null;
      }
      List<String> args = new ArrayList<>();
      for (JsonNode arg : array) {
        if (!arg.isTextual()) {
          return null;
        }
        args.add(arg.textValue());
      }
      return args;
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
