package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import thebacknd.Json;

/** The CLI's JSON reader and writer, against Jackson (what the API writes with) as the reference. */
class JsonValueTest {

  @Test
  void readsWhatTheApiWritesAndWritesItBackTheSame() {
    Map<String, Object> vm = new LinkedHashMap<>();
    vm.put("name", "thebacknd-1");
    vm.put("vm_id", null);
    vm.put("public_ips", List.of("203.0.113.10", "2001:db8::1"));
    vm.put("should_be_destroyed", false);
    vm.put("exit_code", 3);
    vm.put("phase_detail", "quotes \" backslash \\ newline \n tab \t control \u0001 unicode ✓ 😀 slash /");
    vm.put("args", List.of());
    String text = Json.write(Map.of("vms", List.of(vm), "next", -1, "ratio", 1.5e-3));
    JsonValue parsed = JsonValue.parse(text);
    assertEquals(text, parsed.toString(), "the same compact text as Jackson's");
    JsonValue first = parsed.path("vms").get(0);
    assertEquals("thebacknd-1", first.path("name").asText());
    assertTrue(first.path("vm_id").isNull());
    assertNull(first.path("vm_id").asText());
    assertFalse(first.hasNonNull("vm_id"));
    assertTrue(first.has("vm_id"));
    assertEquals(vm.get("phase_detail"), first.path("phase_detail").asText());
    assertEquals(3, first.path("exit_code").asInt());
    assertEquals(-1, parsed.path("next").asLong(0));
    assertFalse(first.path("should_be_destroyed").asBoolean(true));
    assertTrue(first.path("args").isEmpty());
    List<String> ips = new ArrayList<>();
    first.path("public_ips").forEach(ip -> ips.add(ip.asText()));
    assertEquals(vm.get("public_ips"), ips);
  }

  @Test
  void missingFieldsAndWrongTypesReadAsAbsent() {
    JsonValue value = JsonValue.parse("{\"a\": [1, 2], \"s\": \"x\"}");
    assertTrue(value.path("nope").isNull());
    assertEquals("fallback", value.path("nope").path("deeper").asText("fallback"));
    assertEquals(7, value.path("s").asLong(7), "not a number");
    assertTrue(value.path("a").get(5).isNull());
    assertEquals(0, value.path("s").size());
    assertFalse(value.path("s").iterator().hasNext());
  }

  @Test
  void writesBodiesInTheOrderGiven() {
    assertEquals("{\"name\":\"thebacknd-1\",\"dry_run\":false,\"args\":[\"a b\",\"$HOME\"],\"ttl\":null}",
        JsonValue.write(JsonValue.object("name", "thebacknd-1", "dry_run", false, "args", List.of("a b", "$HOME"), "ttl", null)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1} x", "\"unterminated", "nul", "01x", "\"bad \\q escape\"",
      "\"raw \n newline\"", "-", "1.", "{\"a\":1,}",
      // RFC 8259's strictness: four hex digits after \\u (no sign), no leading zeros.
      "\"\\u-001\"", "\"\\u+7ff\"", "\"\\u12\"", "\"\\u 123\"", "\"\\u١٢٣٤\"", "01", "-0123", "00", "-00.5", "[01]", "{\"a\":-01}",
      "+1", ".5", "1e", "1e+", "-", "--1", "0x10", "1.e5", "NaN", "Infinity", "\u00a01", "1\u0000", "[1 2]", "tru", "nulll"})
  void refusesWhatIsNotJson(String text) {
    assertThrows(JsonValue.NotJson.class, () -> JsonValue.parse(text));
  }

  @Test
  void acceptsWhatRfc8259Allows() {
    assertEquals("[0,-0,0.5,-0.0e-0,10,1E+2,\"\u07ff\",\"\uabcd\"]",
        JsonValue.parse(" [0, -0, 0.5, -0.0e-0, 10, 1E+2, \"\\u07FF\", \"\\uAbCd\"] ").toString());
  }

  @Test
  void refusesNestingDeeperThanAnyAnswer() {
    assertThrows(JsonValue.NotJson.class, () -> JsonValue.parse("[".repeat(10_000)));
  }
}
