package thebacknd.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.edge.Endpoint;

@Command(
    name = "console",
    description = {
      "Print a live VM's serial console as EC2 last captured it (GetConsoleOutput, latest):",
      "what the kernel, systemd and the agent printed, also when the agent never reached the API."
    })
final class ConsoleCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "A live VM's name, as list shows it.")
  String name;

  @Override
  public Integer call() {
    return Answer.print(spec, api, api.client(main.env()).get(Endpoint.CONSOLE, Map.of("name", name)), (out, body) -> {
      String output = body.path("output").asText("");
      if (output.isEmpty()) {
        spec.commandLine().getErr().println("thebacknd: EC2 has no console output for " + name + " yet; try again in a minute");
        spec.commandLine().getErr().flush();
        return;
      }
      out.print(output.endsWith("\n") ? output : output + "\n");
    });
  }
}
