package thebacknd.cli;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

@Command(name = "list", description = "List live VMs; OWNER is who created each.")
final class ListCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Spec CommandSpec spec;

  @Option(names = "--mine", description = "Only the VMs you created (GET /list?owner=me: the API knows who you are).")
  boolean mine;

  @Override
  public Integer call() {
    ApiClient client = api.client(main.env());
    ApiResponse response = mine ? client.get(Endpoint.LIST, Map.of("owner", "me")) : client.call(Endpoint.LIST, null);
    return Answer.print(spec, api, response, (out, body) -> Render.table(out, body.path("vms"), Instant.now()));
  }
}
