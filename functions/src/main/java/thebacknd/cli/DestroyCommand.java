package thebacknd.cli;

import thebacknd.cli.Spec.Argument;
import thebacknd.edge.Endpoint;

final class DestroyCommand implements Command {

  static final Spec SPEC = Spec.of("destroy", "Destroy one VM by name (thebacknd-N).")
      .arguments(Argument.required("NAME", "The VM's name, as list shows it."))
      .options(DestroyOptions.DRY_RUN)
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    Object body = JsonValue.object("name", in.positional(0), "dry_run", in.flag("--dry-run"));
    return Answer.print(in, api, api.client(in.env()).call(Endpoint.DESTROY, body), DestroyOptions::render);
  }
}
