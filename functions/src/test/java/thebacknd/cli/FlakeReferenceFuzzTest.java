package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import thebacknd.vm.FlakeRef;

/**
 * Fuzzes the CLI's flake reference check: it refuses only with an IllegalArgumentException (one
 * sentence, no control character), keeps what it accepts exactly, and with --on-vm accepts
 * exactly what the service accepts (vm/FlakeRef), so that nothing the CLI lets through is a 400
 * and nothing the service takes is refused here. Built here it accepts a superset.
 */
class FlakeReferenceFuzzTest {

  @FuzzTest
  void onVmAcceptsExactlyWhatTheServiceAccepts(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    String here = outcome(text, false);
    String onVm = outcome(text, true);
    boolean service;
    try {
      FlakeRef.parse(text);
      service = true;
    } catch (IllegalArgumentException refused) {
      service = false;
    }
    assertEquals(service, onVm == null, "text: " + JsonValue.write(text) + " refused here with: " + onVm);
    if (onVm == null) {
      assertEquals(null, here, "what a VM may build, this machine may build too: " + JsonValue.write(text));
    }
  }

  /** Null when accepted (and kept exactly), else the refusal's message. */
  private static String outcome(String text, boolean onVm) {
    try {
      assertEquals(text, FlakeReference.parse(text, onVm).toString());
      return null;
    } catch (IllegalArgumentException refused) {
      String message = refused.getMessage();
      assertTrue(message != null && !message.isEmpty() && message.lines().count() == 1, "one sentence: " + message);
      return message;
    }
  }
}
