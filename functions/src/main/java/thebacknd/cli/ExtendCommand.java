package thebacknd.cli;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.edge.Endpoint;

@Command(
    name = "extend",
    description = {
      "Give a live VM more time: its deadline becomes now + MINUTES (at most its launch +",
      "THEBACKND_MAX_TTL_MINUTES). Its agent reads the new deadline when its timer fires."
    })
final class ExtendCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "The VM's name, as list shows it.")
  String name;

  @Option(names = "--ttl", paramLabel = "MINUTES", required = true, description = "Minutes from now until the VM destroys itself.")
  int ttlMinutes;

  @Override
  public Integer call() {
    Map<String, Object> body = Map.of("name", name, "ttl_minutes", ttlMinutes);
    return Answer.print(spec, api, api.client(main.env()).call(Endpoint.EXTEND, body), (out, answer) -> {
      var vm = answer.path("vm");
      out.println("Extended " + Render.text(vm, "name") + " until " + Render.text(vm, "expires_at") + " (" + Render.expiry(vm, Instant.now()) + ")");
    });
  }
}
