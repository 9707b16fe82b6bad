package thebacknd.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Route;

final class DestroyAllCommand implements Command {

  static final Spec SPEC = Spec.of("destroy-all", "Destroy every live VM (on a terminal, after asking).")
      .description(
          "Destroy every live VM, whoever created it; --mine only yours. On a terminal it lists what "
              + "goes and asks first, unless --yes; a script (no terminal) is not asked.")
      .options(
          DestroyOptions.DRY_RUN,
          Option.flag("--mine", "Only the VMs you created."),
          Option.flag("-y, --yes", "Do not ask, also on a terminal."))
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    boolean dryRun = in.flag("--dry-run");
    boolean mine = in.flag("--mine");
    boolean ask = !dryRun && !in.flag("--yes") && terminal();
    if (!mine && !ask) {
      return DestroyOptions.destroyMany(in, Route.DESTROY_ALL);
    }
    ApiOptions api = ApiOptions.of(in);
    ApiClient client = api.client(in.env());
    ApiReply listed = mine ? client.get(Route.LIST, Map.of("owner", "me")) : client.call(Route.LIST, null);
    if (listed.failed()) {
      return ReplyPrinter.error(in, listed);
    }
    JsonValue vms = listed.body().path("vms");
    if (vms.isEmpty() || dryRun) {
      return print(in, api, vms, dryRun);
    }
    if (ask && !confirmed(in.err(), vms)) {
      in.err().println("thebacknd: nothing was destroyed");
      in.err().flush();
      return Main.FAILED;
    }
    // Exactly the VMs listed (and shown): each by its name and vm_id, so none created since goes too.
    List<JsonValue> destroyed = new ArrayList<>();
    int status = Main.OK;
    for (JsonValue vm : vms) {
      ApiReply reply = client.call(Route.DESTROY, JsonValue.object("name", vm.path("name").asText(), "vm_id", vm.path("vm_id").asText()));
      if (reply.status() == 400 && "unknown_field".equals(reply.body().path("error").path("code").asText())) {
        // An API from before destroy took a vm_id: by name alone, as destroy-all always did.
        reply = client.call(Route.DESTROY, JsonValue.object("name", vm.path("name").asText()));
      }
      if (reply.status() == 404 || reply.status() == 409) {
        continue; // gone meanwhile (its name may be another VM's by now): nothing to do
      }
      if (reply.failed()) {
        ReplyPrinter.error(in, reply);
        status = Main.FAILED;
        continue;
      }
      reply.body().path("destroyed").forEach(destroyed::add);
    }
    print(in, api, JsonValue.ofArray(destroyed), false);
    return status;
  }

  private static int print(Invocation in, ApiOptions api, JsonValue vms, boolean dryRun) {
    List<JsonValue> all = new ArrayList<>();
    vms.forEach(all::add);
    String text = JsonValue.write(JsonValue.object("destroyed", all, "dry_run", dryRun));
    return ReplyPrinter.print(in, api, ApiReply.of(200, text), DestroyOptions::render);
  }

  /** Lists what goes and asks on the terminal; only "y" or "yes" goes on. */
  private static boolean confirmed(PrintWriter err, JsonValue vms) {
    err.println("These " + vms.size() + " VM(s) will be destroyed:");
    for (JsonValue vm : vms) {
      err.println("  " + Render.text(vm, "name") + "  " + Render.text(vm, "vm_id") + "  " + Render.owner(vm) + "  "
          + Render.abbreviated(Render.runs(vm)));
    }
    err.print("Destroy them? [y/N] ");
    err.flush();
    String answer = System.console().readLine();
    return answer != null && (answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"));
  }

  /**
   * Whether a person is at a terminal: JDK 17's {@link System#console()} is there only when both
   * stdin and stdout are one; from JDK 22 on it always is, and says so with isTerminal.
   */
  static boolean terminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException beforeJdk22) {
      return true;
    }
  }
}
