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
}
