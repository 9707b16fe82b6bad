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
    return DestroyOptions.destroyMany(in, Endpoint.DESTROY_ALL);
  }
}
