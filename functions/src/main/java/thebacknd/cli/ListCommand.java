package thebacknd.cli;

import java.time.Instant;
import thebacknd.edge.Endpoint;

final class ListCommand implements Command {

  static final Spec SPEC = Spec.of("list", "List live VMs, ordered by name.").options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    Reply reply = api.client(in.env()).call(Endpoint.LIST, null);
    return Answer.print(in, api, reply, (out, body) -> Render.table(out, body.path("vms"), Instant.now()));
  }
}
