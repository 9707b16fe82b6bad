package thebacknd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.function.BiConsumer;
import picocli.CommandLine.Model.CommandSpec;
import thebacknd.edge.ApiResponse;

/** Prints an API answer: JSON or human on success; the error's one sentence on stderr otherwise. */
final class Answer {

  private Answer() {}

  static int print(CommandSpec spec, ApiOptions api, ApiResponse response, BiConsumer<PrintWriter, JsonNode> human) {
    PrintWriter out = spec.commandLine().getOut();
    if (response.status() >= 400) {
      return error(spec, response);
    }
    if (api.json) {
      Render.json(out, response);
    } else {
      human.accept(out, response.body());
    }
    out.flush();
    return Main.OK;
  }

  static int error(CommandSpec spec, ApiResponse response) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("thebacknd: " + describe(response));
    err.flush();
    return Main.FAILED;
  }

  /** An error answer in one line: "message [code, HTTP status]". */
  static String describe(ApiResponse response) {
    JsonNode error = response.body().path("error");
    return error.path("message").asText("HTTP " + response.status())
        + " ["
        + error.path("code").asText("http_" + response.status())
        + ", HTTP "
        + response.status()
        + "]";
  }
}
