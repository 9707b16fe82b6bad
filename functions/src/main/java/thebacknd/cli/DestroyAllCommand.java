package thebacknd.cli;

import thebacknd.edge.Endpoint;

final class DestroyAllCommand implements Command {

  static final Spec SPEC = Spec.of("destroy-all", "Destroy every live VM.")
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
    return Answer.print(in, api, api.client(in.env()).call(Endpoint.DESTROY_ALL, body), DestroyOptions::render);
  }
}
