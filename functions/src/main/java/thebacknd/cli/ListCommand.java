package thebacknd.cli;

import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

@Command(name = "list", description = "List live VMs.")
final class ListCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ApiResponse response = api.client(main.env()).call(Endpoint.LIST, null);
    return Answer.print(spec, api, response, (out, body) -> Render.table(out, body.path("vms"), Instant.now()));
  }
}
