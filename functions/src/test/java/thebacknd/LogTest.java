package thebacknd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** In Lambda's JSON log format a bug is one event: the trace is a field, not one event per frame. */
class LogTest {

  @Test
  void anErrorWithItsTraceIsOneJsonLine() {
    IllegalStateException bug = new IllegalStateException("boom\nsecond line");
    String line = Log.line(true, "ERROR", "unexpected error on /create", Log.stackTrace(bug));
    assertFalse(line.contains("\n"), line);
    JsonNode event = Json.parse(line);
    assertEquals("ERROR", event.path("level").asText());
    assertEquals("unexpected error on /create", event.path("message").asText());
    assertTrue(event.path("stackTrace").asText().startsWith("java.lang.IllegalStateException: boom"));
    assertTrue(event.path("stackTrace").asText().contains("at thebacknd.LogTest.anErrorWithItsTraceIsOneJsonLine"));
  }

  @Test
  void aTerminalGetsTheMessageThenTheTrace() {
    String text = Log.line(false, "ERROR", "unexpected", "trace line 1\ntrace line 2");
    assertEquals("thebacknd: ERROR: unexpected\ntrace line 1\ntrace line 2", text);
    assertEquals("thebacknd: WARNING: careful", Log.line(false, "WARN", "careful", null));
    assertEquals("thebacknd: fine", Log.line(false, "INFO", "fine", null));
  }

  @Test
  void aJsonLineCarriesItsRequestAndItsVmOnceKnown() {
    JsonNode bare = Json.parse(Log.line(true, "INFO", "started", null, Log.Context.NONE));
    assertFalse(bare.has("function_request_id"));
    assertFalse(bare.has("vm_id"));
    JsonNode line = Json.parse(Log.line(true, "INFO", "reported", null, new Log.Context("c0ffee-1", "0f8fad5b-d9cb-469f-a165-70867728950e")));
    assertEquals("c0ffee-1", line.path("function_request_id").asText());
    assertEquals("0f8fad5b-d9cb-469f-a165-70867728950e", line.path("vm_id").asText());
    assertEquals("thebacknd: reported", Log.line(false, "INFO", "reported", null), "a terminal line stays short");
  }

  @Test
  void aRequestsScopeNamesItsVmUntilItIsClosed() {
    try (Log.Scope scope = Log.request("req-1")) {
      Log.aboutVm("vm-1");
      assertEquals(new Log.Context("req-1", "vm-1"), Log.context());
    }
    assertEquals(Log.Context.NONE, Log.context());
  }
}
