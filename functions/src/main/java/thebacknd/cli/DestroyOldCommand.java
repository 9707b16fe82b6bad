package thebacknd.cli;

import thebacknd.edge.Route;

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
    return DestroyOptions.destroyMany(in, Route.DESTROY_OLD);
  }
}
