package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Route;

/**
 * {@code thebacknd pool}: the warm pool as configured (THEBACKND_POOL), and how many of its VMs
 * are ready (reported {@code pooled}) or starting, from {@code POST /pool {"dry_run": true}};
 * {@code thebacknd pool fill}: {@code POST /pool}, launching what is missing.
 */
final class PoolCommand implements Command {

  static final Spec SPEC = Spec.of("pool", "Show the warm pool: configured, ready and starting VMs.")
      .description(
          "Show the warm pool: how many VMs of each type the service keeps booted and waiting "
              + "(THEBACKND_POOL, e.g. t3.micro=2,t4g.small:spot=1), how many are ready (booted, waiting "
              + "for a create to claim them) and how many are starting. A create of a type the pool "
              + "holds takes a ready VM instead of launching one: it skips the launch and the boot.",
          "The service tops the pool up by itself (on a schedule; thebacknd serve every minute); "
              + "thebacknd pool fill does it now.")
      .options(ApiOptions.OPTIONS)
      .subcommands(new Fill())
      .runnableAlone();

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    ApiOptions api = ApiOptions.of(in);
    ApiReply reply = api.client(in.env()).call(poolRoute(), Map.of("dry_run", true));
    return ReplyPrinter.print(in, api, reply, (out, body) -> {
      state(out, body);
      int missing = body.path("launched").size();
      if (missing > 0) {
        out.println(missing + " missing: thebacknd pool fill launches " + (missing == 1 ? "it" : "them") + " now");
      }
    });
  }

  /** {@code thebacknd pool fill [--dry-run]}. */
  static final class Fill implements Command {

    static final Spec SPEC = Spec.of("fill", "Launch the warm pool's missing VMs now.")
        .description("Launch the VMs the warm pool is short of (POST /pool): never more than it is "
            + "configured for, never past the cap of live VMs (THEBACKND_MAX_VMS).")
        .options(Option.flag("--dry-run", "Only show what would be launched."))
        .options(ApiOptions.OPTIONS);

    @Override
    public Spec spec() {
      return SPEC;
    }

    @Override
    public int run(Invocation in) {
      ApiOptions api = ApiOptions.of(in);
      boolean dryRun = in.flag("--dry-run");
      ApiReply reply = api.client(in.env()).call(poolRoute(), Map.of("dry_run", dryRun));
      return ReplyPrinter.print(in, api, reply, (out, body) -> {
        for (JsonValue vm : body.path("launched")) {
          out.println((dryRun ? "Would launch " : "Launched ") + (dryRun ? launchedType(vm) : Render.summary(vm, Instant.now())));
        }
        if (body.path("launched").isEmpty()) {
          out.println(body.path("configured").isEmpty() ? "Nothing to launch." : "Nothing to launch: the pool is full.");
        }
        state(out, body);
      });
    }
  }

  /**
   * {@code POST /pool}, looked up by its path: the route comes with the warm pool's API side,
   * which this CLI may be built without (then one line, exit 1).
   */
  private static Route poolRoute() {
    return Route.forPath("/pool")
        .orElseThrow(() -> new CliException(Main.FAILED, "this build of thebacknd has no warm pool (no POST /pool route)"));
  }

  /** "Pool: t3.micro=2, t4g.small:spot=1 (3 VMs); ready 2, starting 1", or that there is none. */
  static void state(PrintWriter out, JsonValue body) {
    JsonValue configured = body.path("configured");
    if (configured.isEmpty()) {
      out.println("No warm pool is configured (THEBACKND_POOL is empty): every create launches a VM.");
      return;
    }
    List<String> entries = new ArrayList<>();
    long total = 0;
    for (Map.Entry<String, JsonValue> entry : configured.fields()) {
      long count = entry.getValue().asLong(0);
      total += count;
      entries.add(Render.safe(entry.getKey()) + "=" + count);
    }
    out.println("Pool: " + String.join(", ", entries) + " (" + total + (total == 1 ? " VM" : " VMs") + "); ready "
        + body.path("ready").asLong(0) + ", starting " + body.path("starting").asLong(0));
  }

  /** A VM a fill would launch: its type (and market); it has no name or instance yet. */
  private static String launchedType(JsonValue vm) {
    return "a " + Render.text(vm, "instance_type") + ("spot".equals(vm.path("lifecycle").asText()) ? " (spot)" : "") + " VM";
  }
}
