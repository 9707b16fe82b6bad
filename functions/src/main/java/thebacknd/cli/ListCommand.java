package thebacknd.cli;

import java.time.Instant;
import java.util.Map;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Route;

final class ListCommand implements Command {

  static final Spec SPEC = Spec.of("list", "List live VMs, ordered by name.")
      .description("List live VMs, ordered by name. OWNER is who created each: an IAM user or role "
          + "(without its arn:aws:iam::ACCOUNT: prefix), or the local user of serve and --local.")
      .options(
          Option.flag("--mine", "Only the VMs you created (GET /list?owner=me: the API knows who you are)."),
          Option.flag("--wide", "Add each VM's vm_id and show whole store paths (the table abbreviates their hashes to fit 120 columns)."))
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    ApiClient client = api.client(in.env());
    ApiReply reply = in.flag("--mine") ? client.get(Route.LIST, Map.of("owner", "me")) : client.call(Route.LIST, null);
    return ReplyPrinter.print(in, api, reply, (out, body) -> Render.table(out, body.path("vms"), Instant.now(), in.flag("--wide")));
  }
}
