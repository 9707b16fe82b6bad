package thebacknd.cli;

import java.time.Instant;
import java.util.Map;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Route;

final class ExtendCommand implements Command {

  static final Spec SPEC = Spec.of("extend", "Give a live VM more time (a new deadline).")
      .description(
          "Give a live VM more time: its deadline becomes now + MINUTES (at most its launch + "
              + "THEBACKND_MAX_TTL_MINUTES). Its agent reads the new deadline when its timer fires.",
          "With --vm-id, only if NAME is still that VM. A VM already past its deadline cannot be "
              + "extended (exit 1).")
      .arguments(Argument.required("NAME", "The VM's name, as list shows it."))
      .options(
          Option.value("--ttl", "MINUTES", "Minutes from now until the VM destroys itself (required)."),
          DestroyOptions.VM_ID)
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    Integer ttlMinutes = in.positiveValue("--ttl");
    if (ttlMinutes == null) {
      throw in.usage("Missing required option: '--ttl=MINUTES'");
    }
    ApiOptions api = ApiOptions.of(in);
    Map<String, Object> body = JsonValue.object("name", in.positional(0), "ttl_minutes", ttlMinutes);
    DestroyOptions.vmId(in).ifPresent(id -> body.put("vm_id", id));
    return ReplyPrinter.print(in, api, api.client(in.env()).call(Route.EXTEND, body), (out, answer) -> {
      JsonValue vm = answer.path("vm");
      out.println("Extended " + Render.text(vm, "name") + " until " + Render.text(vm, "expires_at") + " (" + Render.expiry(vm, Instant.now()) + ")");
    });
  }
}
