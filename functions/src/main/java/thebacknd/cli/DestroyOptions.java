package thebacknd.cli;

import java.io.PrintWriter;
import java.util.Optional;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Route;

/** {@code --dry-run} and the human rendering shared by the destroy commands. */
final class DestroyOptions {

  static final Option DRY_RUN = Option.flag("--dry-run", "Only show what would be destroyed.");
  static final Option VM_ID = Option.value("--vm-id", "ID", "Only if NAME is still this VM (its vm_id); otherwise nothing changes.");

  private DestroyOptions() {}

  /** --vm-id, checked to be a vm_id (a lowercase UUID) before anything is sent. */
  static Optional<String> vmId(Invocation in) {
    String vmId = in.value("--vm-id");
    if (vmId != null && !VmIds.valid(vmId)) {
      throw in.usage("invalid --vm-id " + Render.safe(vmId) + ": a vm_id is a lowercase UUID, as run and list --wide print it");
    }
    return Optional.ofNullable(vmId);
  }

  /** destroy-all and destroy-old: {@code {"dry_run"}} to the route, the answer printed. */
  static int destroyMany(Invocation in, Route route) {
    ApiOptions api = ApiOptions.of(in);
    Object body = JsonValue.object("dry_run", in.flag("--dry-run"));
    return ReplyPrinter.print(in, api, api.client(in.env()).call(route, body), DestroyOptions::render);
  }

  static void render(PrintWriter out, JsonValue body) {
    JsonValue destroyed = body.path("destroyed");
    boolean dryRun = body.path("dry_run").asBoolean(false);
    if (destroyed.isEmpty()) {
      out.println(dryRun ? "Nothing would be destroyed." : "Nothing to destroy.");
      return;
    }
    for (JsonValue vm : destroyed) {
      out.println((dryRun ? "Would destroy " : "Destroyed ") + Render.text(vm, "name") + " (" + Render.text(vm, "instance_id") + ")");
    }
  }
}
