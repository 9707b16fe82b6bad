package thebacknd.cli;

import thebacknd.edge.Endpoint;

final class DestroyOldCommand implements Command {

  static final Spec SPEC = Spec.of("destroy-old", "Destroy the VMs past their deadline or unresponsive.")
      .options(DestroyOptions.DRY_RUN)
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    Object body = JsonValue.object("dry_run", in.flag("--dry-run"));
    return Answer.print(in, api, api.client(in.env()).call(Endpoint.DESTROY_OLD, body), DestroyOptions::render);
  }
}
