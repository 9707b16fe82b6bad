package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.Route;

final class RunCommand implements Command {

  /** The options every way of launching takes (run's and shell's). */
  static final List<Option> LAUNCH_OPTIONS = List.of(
      Option.value("--type", "TYPE[,TYPE…]", "Instance type, or up to 5 in order of preference: the next is tried "
          + "when EC2 has no capacity for one (each must be allowed by the service)."),
      Option.flag("--spot", "Spot capacity first (about a third of the price; AWS may reclaim it); on demand "
          + "when there is none, unless the service says otherwise."),
      Option.value("--ttl", "MINUTES", "Lifetime in minutes before the VM destroys itself."),
      Option.value("--wait-timeout", "MINUTES", "Give up waiting after this long (default: 15)."),
      Option.flag("--queue", "At the cap of live VMs, wait for one to be free instead of failing."),
      Option.value("--queue-timeout", "MINUTES", "With --queue, give up after this long (default: 10); nothing is launched then."),
      Option.value("--poll-seconds", "SECONDS", "How often --wait reads the phase (default: 2).").hidden(),
      Option.value("--logs-poll-millis", "MILLIS", "How often --wait reads a program's output (default: 500).").hidden());

  static final Spec SPEC = Spec.of("run", "Create a VM running a toplevel, a program or the base image.")
      .description(
          "Create a VM running PATH: a NixOS toplevel (/nix/store/…-nixos-system-…), a program "
              + "inside a store path (/nix/store/…-hello/bin/hello), a flake output (FLAKEREF#ATTR), "
              + "or nothing for the plain base image.",
          "How PATH is read: a word that starts with /nix/store/, or a symlink (./result) that leads into "
              + "the store, is a store path; a word with a # in it is a flake reference; with -A ATTR [FILE], "
              + "the word is the Nix file ATTR is built from.",
          "With -A ATTR [FILE], build, sign and push it first (toplevel-scripts/build-toplevel.sh).",
          "With FLAKEREF#ATTR (.#web, github:owner/repo#web, git+https://host/repo?ref=main#prog), the "
              + "local Nix builds it (flakes turned on for its own calls), then it is signed and pushed as "
              + "with -A. FLAKEREF#nixosConfigurations.NAME is that NixOS system's toplevel; any other "
              + "attribute is a package, run as a program: bin/MAIN where MAIN is its meta.mainProgram, else its pname.",
          "With --on-vm FLAKEREF#ATTR, nothing is built here (no local Nix needed): the VM fetches and "
              + "builds it (the service must allow VM builds). The reference must be one the VM can fetch: "
              + "github:, gitlab:, sourcehut:, git+https://, git+ssh://, https:// (a tarball). --wait "
              + "follows it as a program, or as a toplevel for nixosConfigurations.NAME.",
          "A program's ARGS follow PATH (after --, for any that starts with -) and become its argv. "
              + "run PROGRAM --wait prints the phases on stderr and the program's output on stdout as it "
              + "comes, and exits with the program's exit code (125 when thebacknd or the VM failed "
              + "before it finished).")
      .arguments(Argument.any("PATH [ARGS]",
          "Store path or FLAKEREF#ATTR to run (with -A: the Nix file to build from, before any --), then a program's arguments."))
      .options(
          Option.value("-A, --attr", "ATTR", "Build this attribute of FILE (default ./default.nix) first."),
          Option.flag("--on-vm", "Build FLAKEREF#ATTR on the VM instead of here."),
          Option.flag("--binary", "Treat PATH as a program even if it is a whole store path."),
          Option.flag("--wait", "Show the VM's phases until it is running (or failed); for a program, its output and exit code."))
      .options(LAUNCH_OPTIONS)
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws Exception {
    return new Run(in, in.flag("--wait")).call();
  }

  /**
   * One launch: its options (those of {@link #LAUNCH_OPTIONS}), read once, then create (and
   * follow). {@code run} reads its PATH into the workload ({@link #call}); {@code shell} gives its
   * own ({@link #launch}).
   */
  static final class Run {

    private final Invocation in;
    private final ApiOptions api;
    private final List<String> instanceTypes;
    private final boolean spot;
    private final Integer ttlMinutes;
    private final boolean waitForPhase;
    private final int waitTimeoutMinutes;
    private final boolean queue;
    private final int queueTimeoutMinutes;
    private final int pollSeconds;
    private final int logsPollMillis;

    Run(Invocation in, boolean waitForPhase) {
      this.in = in;
      this.api = ApiOptions.of(in);
      this.instanceTypes = instanceTypes(in.value("--type"));
      this.spot = in.flag("--spot");
      this.ttlMinutes = in.positiveValue("--ttl");
      this.waitForPhase = waitForPhase;
      this.waitTimeoutMinutes = in.positiveValue("--wait-timeout", 15);
      this.queue = in.flag("--queue");
      this.queueTimeoutMinutes = in.positiveValue("--queue-timeout", 10);
      if (in.value("--queue-timeout") != null && !queue) {
        throw in.usage("--queue-timeout is for --queue");
      }
      this.pollSeconds = in.positiveValue("--poll-seconds", 2);
      this.logsPollMillis = in.positiveValue("--logs-poll-millis", 500);
    }

    /** {@code run}: PATH (a store path, FLAKEREF#ATTR, or -A's FILE) read into the workload, then launched. */
    int call() throws Exception {
      RunWorkload workload = RunWorkload.read(in);
      return launch(workload.body(), workload.program());
    }

    /**
     * Creates the VM for {@code body} (its workload: nix_toplevel, nix_binary, nix_flake or
     * nix_packages, with args) with the launch options, then follows it with --wait: a program
     * to its exit code, anything else until it runs.
     */
    int launch(Map<String, Object> body, boolean program) throws Exception {
      if (instanceTypes.size() == 1) {
        body.put("instance_type", instanceTypes.get(0));
      } else if (!instanceTypes.isEmpty()) {
        body.put("instance_types", instanceTypes);
      }
      if (spot) {
        body.put("spot", true);
      }
      if (ttlMinutes != null) {
        body.put("ttl_minutes", ttlMinutes);
      }
      if (program && waitForPhase) {
        return runProgram(body);
      }
      ApiClient client = api.client(in.env());
      ApiReply created = create(client, body);
      if (created.failed()) {
        return ReplyPrinter.error(in, created);
      }
      JsonValue vm = created.body().path("vm");
      PrintWriter out = in.out();
      if (!waitForPhase) {
        return ReplyPrinter.print(in, api, created, (o, b) -> o.println("Created " + Render.summary(vm, Instant.now())));
      }
      if (!api.json) {
        out.println("Created " + Render.summary(vm, Instant.now()));
        out.flush();
      }
      return new ToplevelWait(client, out, in.err(), api.json, Duration.ofSeconds(Math.max(1, pollSeconds)),
          Duration.ofMinutes(waitTimeoutMinutes)).follow(vm);
    }

    /**
     * POST /create; with --queue, asked again while the cap of live VMs is reached (429
     * cap_reached), until a VM is free or --queue-timeout, saying how many are in use.
     */
    private ApiReply create(ApiClient client, Map<String, Object> body) throws InterruptedException {
      ApiReply created = client.call(Route.CREATE, body);
      Instant until = Instant.now().plus(Duration.ofMinutes(queueTimeoutMinutes));
      String said = null;
      while (queue && capReached(created)) {
        if (!Instant.now().isBefore(until)) {
          in.err().println("thebacknd: no VM became free within " + Render.minutes(queueTimeoutMinutes) + " (--queue-timeout); nothing was launched");
          in.err().flush();
          return created;
        }
        String waiting = "waiting for a free VM (" + inUse(client, created) + ")";
        if (!waiting.equals(said)) {
          in.err().println("thebacknd: " + waiting);
          in.err().flush();
          said = waiting;
        }
        Thread.sleep(Duration.ofSeconds(pollSeconds).toMillis());
        created = client.call(Route.CREATE, body);
      }
      return created;
    }

    private static boolean capReached(ApiReply reply) {
      return reply.status() == 429 && "cap_reached".equals(reply.body().path("error").path("code").asText());
    }

    /** "10 of 10 in use": the live VMs listed, of the cap the 429's message names ("The cap of 10 live VMs…"). */
    private static String inUse(ApiClient client, ApiReply capReached) {
      ApiReply listed;
      try {
        listed = client.call(Route.LIST, null);
      } catch (thebacknd.Failure unreachable) {
        return "the cap is reached";
      }
      String live = listed.failed() ? "?" : Integer.toString(listed.body().path("vms").size());
      String message = capReached.body().path("error").path("message").asText("");
      int digit = 0;
      while (digit < message.length() && !Character.isDigit(message.charAt(digit))) {
        digit++;
      }
      int end = digit;
      while (end < message.length() && Character.isDigit(message.charAt(end))) {
        end++;
      }
      return live + (end > digit ? " of " + message.substring(digit, end) : "") + " in use";
    }

    /** {@code --type a,b,c}: the types in order of preference (none when not given). */
    private List<String> instanceTypes(String option) {
      List<String> types = new ArrayList<>();
      if (option == null) {
        return types;
      }
      int start = 0;
      while (start <= option.length()) {
        int comma = option.indexOf(',', start);
        int end = comma < 0 ? option.length() : comma;
        String type = option.substring(start, end).trim();
        if (type.isEmpty()) {
          throw in.usage("Invalid value for option '--type': '" + option + "' has an empty instance type");
        }
        types.add(type);
        start = end + 1;
      }
      return types;
    }

    /** Create, then follow the program to its end; the exit code is the program's (or 125). */
    private int runProgram(Map<String, Object> body) throws InterruptedException {
      PrintWriter err = in.err();
      try {
        ApiClient client = api.client(in.env());
        ApiReply created = create(client, body);
        if (created.failed()) {
          ReplyPrinter.error(in, created);
          return created.exitCode() == Main.USAGE ? Main.USAGE : ProgramWait.NOT_FINISHED;
        }
        JsonValue vm = created.body().path("vm");
        err.println(api.json ? created.text().strip() : "Created " + Render.summary(vm, Instant.now()));
        err.flush();
        ProgramWait wait =
            new ProgramWait(
                client,
                in.out(),
                err,
                api.json,
                Duration.ofSeconds(Math.max(1, pollSeconds)),
                Duration.ofMillis(Math.max(50, logsPollMillis)),
                Duration.ofMinutes(waitTimeoutMinutes));
        return wait.follow(vm);
      } catch (CliException | thebacknd.Failure e) {
        err.println("thebacknd: " + e.getMessage());
        err.flush();
        return ProgramWait.NOT_FINISHED;
      }
    }
  }
}
