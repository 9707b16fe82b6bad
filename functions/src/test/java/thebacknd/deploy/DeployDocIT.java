package thebacknd.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Launcher;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;

/**
 * The curl --aws-sigv4 commands of docs/deploy.md ("Calling the functions directly"), taken from
 * the doc as written, run against `thebacknd serve` on loopback (which ignores the signature): the
 * flags parse, the session-token header expands right, and the requests reach /create and /list
 * with the bodies the API expects. Against AWS the same commands are signed for execute-api; that
 * part needs a real account.
 */
class DeployDocIT {

  @Test
  void theDocumentedCurlCommandsCallTheApi() throws Exception {
    String doc = Files.readString(DeployTools.repo().resolve("docs/deploy.md"));
    Matcher block = Pattern.compile("```\\n(curl --aws-sigv4.*?)```", Pattern.DOTALL).matcher(doc);
    assertTrue(block.find(), "docs/deploy.md has a curl --aws-sigv4 block");
    String commands = block.group(1);

    Moto.reset();
    try (Launcher.Served server = Launcher.serve(TestEnv.base())) {
      Map<String, String> shell = new HashMap<>();
      shell.put("THEBACKND_API_URL", server.url());
      shell.put("AWS_SESSION_TOKEN", "a session token");
      DeployTools.Result r = DeployTools.runAllowingFailure(shell, "bash", "-euo", "pipefail", "-c", commands);
      assertEquals(0, r.exit(), r.err());

      List<JsonNode> answers = new ArrayList<>();
      try (MappingIterator<JsonNode> it = Json.MAPPER.readerFor(JsonNode.class).readValues(r.out())) {
        it.forEachRemaining(answers::add);
      }
      assertEquals(2, answers.size(), r.out());
      assertEquals("thebacknd-1", answers.get(0).path("vm").path("name").asText(), r.out());
      assertEquals(1, answers.get(1).path("vms").size(), r.out());
    }
  }
}
