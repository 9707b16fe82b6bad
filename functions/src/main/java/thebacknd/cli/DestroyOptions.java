package thebacknd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --dry-run} and the human rendering shared by the destroy commands. */
final class DestroyOptions {

  @Option(names = "--dry-run", description = "Only show what would be destroyed.")
  boolean dryRun;

  Map<String, Object> body() {
    return Map.of("dry_run", dryRun);
  }

  static void render(PrintWriter out, JsonNode body) {
    JsonNode destroyed = body.path("destroyed");
    boolean dryRun = body.path("dry_run").asBoolean();
    if (destroyed.isEmpty()) {
      out.println(dryRun ? "Nothing would be destroyed." : "Nothing to destroy.");
      return;
    }
    for (JsonNode vm : destroyed) {
      out.println((dryRun ? "Would destroy " : "Destroyed ") + Render.text(vm, "name") + " (" + Render.text(vm, "instance_id") + ")");
    }
  }
}
