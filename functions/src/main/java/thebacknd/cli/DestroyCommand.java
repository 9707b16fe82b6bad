package thebacknd.cli;

import java.util.Map;
import thebacknd.cli.Spec.Argument;
import thebacknd.edge.Route;

final class DestroyCommand implements Command {

  static final Spec SPEC = Spec.of("destroy", "Destroy one VM by name (thebacknd-N).")
      .description(
          "Destroy the live VM named NAME. With --vm-id, only if NAME is still that VM (as run and "
              + "list --wide print it): a name freed by a VM that destroyed itself may belong to a new "
              + "one by now, which is then left alone (exit 1).")
      .arguments(Argument.required("NAME", "The VM's name, as list shows it."))
      .options(DestroyOptions.DRY_RUN, DestroyOptions.VM_ID)
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    Map<String, Object> body = JsonValue.object("name", in.positional(0), "dry_run", in.flag("--dry-run"));
    DestroyOptions.vmId(in).ifPresent(id -> body.put("vm_id", id));
    return ReplyPrinter.print(in, api, api.client(in.env()).call(Route.DESTROY, body), DestroyOptions::render);
  }
}
