package thebacknd.cli;

import java.util.Map;
import thebacknd.cli.Spec.Argument;
import thebacknd.edge.Route;

final class ConsoleCommand implements Command {

  static final Spec SPEC = Spec.of("console", "Print a live VM's serial console (EC2 GetConsoleOutput).")
      .description(
          "Print a live VM's serial console as EC2 last captured it (GetConsoleOutput, latest): "
              + "what the kernel, systemd and the agent printed, also when the agent never reached the "
              + "API.")
      .arguments(Argument.required("NAME", "A live VM's name, as list shows it."))
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    String name = in.positional(0);
    ApiReply reply = api.client(in.env()).get(Route.CONSOLE, Map.of("name", name));
    return ReplyPrinter.print(in, api, reply, (out, body) -> {
      // The serial console is the kernel's and systemd's, not a program's: its escapes are shown, not obeyed.
      String output = Render.safeLines(body.path("output").asText(""));
      if (output.isEmpty()) {
        in.err().println("thebacknd: EC2 has no console output for " + name + " yet; try again in a minute");
        in.err().flush();
        return;
      }
      out.print(output.endsWith("\n") ? output : output + "\n");
    });
  }
}
