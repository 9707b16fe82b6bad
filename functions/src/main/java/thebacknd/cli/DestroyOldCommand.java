package thebacknd.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.edge.Endpoint;

@Command(name = "destroy-old", description = "Destroy VMs past their deadline.")
final class DestroyOldCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Mixin DestroyOptions destroy;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return Answer.print(spec, api, api.client(main.env()).call(Endpoint.DESTROY_OLD, destroy.body()), DestroyOptions::render);
  }
}
