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

@Command(name = "destroy", description = "Destroy one VM by name (thebacknd-N).")
final class DestroyCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Mixin DestroyOptions destroy;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "The VM's name, as list shows it.")
  String name;

  @Override
  public Integer call() {
    Map<String, Object> body = Map.of("name", name, "dry_run", destroy.dryRun);
    return Answer.print(spec, api, api.client(main.env()).call(Endpoint.DESTROY, body), DestroyOptions::render);
  }
}
