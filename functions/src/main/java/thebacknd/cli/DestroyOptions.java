package thebacknd.cli;

import java.io.PrintWriter;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Endpoint;

/** {@code --dry-run} and the human rendering shared by the destroy commands. */
final class DestroyOptions {

  static final Option DRY_RUN = Option.flag("--dry-run", "Only show what would be destroyed.");

  private DestroyOptions() {}

  /** destroy-all and destroy-old: {@code {"dry_run"}} to the route, the answer printed. */
  static int destroyMany(Invocation in, Endpoint endpoint) {
    ApiOptions api = ApiOptions.of(in);
    Object body = JsonValue.object("dry_run", in.flag("--dry-run"));
    return Answer.print(in, api, api.client(in.env()).call(endpoint, body), DestroyOptions::render);
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
