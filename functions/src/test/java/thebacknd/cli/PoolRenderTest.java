package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** What thebacknd pool says of POST /pool's answer (configured, ready, starting), and pool's help. */
class PoolRenderTest {

  private static String state(String answer) {
    StringWriter text = new StringWriter();
    PoolCommand.state(new PrintWriter(text, true), JsonParser.parse(answer));
    return text.toString();
  }

  @Test
  void theConfiguredTypesAndHowManyAreReadyAndStarting() {
    assertEquals("Pool: t3.micro=2, t4g.small:spot=1 (3 VMs); ready 2, starting 1\n",
        state("{\"launched\": [], \"dry_run\": true, \"configured\": {\"t3.micro\": 2, \"t4g.small:spot\": 1}, \"ready\": 2, \"starting\": 1}"));
    assertEquals("Pool: t3.micro=1 (1 VM); ready 0, starting 0\n",
        state("{\"launched\": [], \"dry_run\": true, \"configured\": {\"t3.micro\": 1}, \"ready\": 0, \"starting\": 0}"));
  }

  @Test
  void noPoolSaysSo() {
    assertEquals("No warm pool is configured (THEBACKND_POOL is empty): every create launches a VM.\n",
        state("{\"launched\": [], \"dry_run\": true, \"configured\": {}, \"ready\": 0, \"starting\": 0}"));
  }

  @Test
  void poolRunsAloneOrWithFillAndBothAnswerHelp() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, Main.execute(new String[] {"pool", "--help"}, java.util.Map.of(), new PrintWriter(out, true), new PrintWriter(err, true)));
    assertEquals("Usage: thebacknd pool [COMMAND] [OPTIONS]", out.toString().lines().findFirst().orElse(""));
    out.getBuffer().setLength(0);
    assertEquals(0, Main.execute(new String[] {"pool", "fill", "--help"}, java.util.Map.of(), new PrintWriter(out, true), new PrintWriter(err, true)));
    assertEquals("Usage: thebacknd pool fill [OPTIONS]", out.toString().lines().findFirst().orElse(""));
    assertEquals(2, Main.execute(new String[] {"pool", "fil"}, java.util.Map.of(), new PrintWriter(out, true), new PrintWriter(err, true)));
    assertEquals("thebacknd: Unknown command: 'fil' (did you mean 'fill'?) (see thebacknd pool --help)", err.toString().strip());
  }
}
