package thebacknd.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;
import thebacknd.config.ConfigException;
import thebacknd.edge.Endpoint;

final class RunCommand implements Command {

  static final Spec SPEC = Spec.of("run", "Create a VM running a toplevel, a program or the base image.")
      .description(
          "Create a VM running PATH: a NixOS toplevel (/nix/store/…-nixos-system-…), a program "
              + "inside a store path (/nix/store/…-hello/bin/hello), or nothing for the plain base image.",
          "With -A ATTR [FILE], build, sign and push it first (toplevel-scripts/build-toplevel.sh).",
          "A program's ARGS follow PATH (after --, for any that starts with -) and become its argv. "
              + "run PROGRAM --wait prints the phases on stderr and the program's output on stdout as it "
              + "comes, and exits with the program's exit code (125 when thebacknd or the VM failed "
              + "before it finished).")
      .arguments(Argument.any("PATH [ARGS]",
          "Store path to run (with -A: the Nix file to build from, before any --), then a program's arguments."))
      .options(
          Option.value("-A, --attr", "ATTR", "Build this attribute of FILE (default ./default.nix) first."),
          Option.flag("--binary", "Treat PATH as a program even if it is a whole store path."),
          Option.value("--type", "TYPE[,TYPE…]", "Instance type, or up to 5 in order of preference: the next is tried "
              + "when EC2 has no capacity for one (each must be allowed by the service)."),
          Option.flag("--spot", "Spot capacity first (about a third of the price; AWS may reclaim it); on demand "
              + "when there is none, unless the service says otherwise."),
          Option.value("--ttl", "MINUTES", "Lifetime in minutes before the VM destroys itself."),
          Option.flag("--wait", "Show the VM's phases until it is running (or failed); for a program, its output and exit code."),
          Option.value("--wait-timeout", "MINUTES", "Give up waiting after this long (default: 15)."),
          Option.value("--poll-seconds", "SECONDS", "How often --wait reads the phase (default: 2).").hidden(),
          Option.value("--logs-poll-millis", "MILLIS", "How often --wait reads a program's output (default: 500).").hidden())
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws Exception {
    return new Run(in).call();
  }

  /** One run of the command: its options, read once, then create (and follow). */
  private static final class Run {

    /** Polls allowed before a just-created VM first shows up in list. */
    private static final int NOT_YET_LISTED_ROUNDS = 5;
    /** Lines of a failed VM's log shown by run --wait. */
    private static final int LOG_TAIL_LINES = 20;
    private static final int LOG_TAIL_ROUNDS = 5;

    private final Invocation in;
    private final ApiOptions api;
    private final String attr;
    private final boolean binary;
    private final List<String> instanceTypes;
    private final boolean spot;
    private final Integer ttlMinutes;
    private final boolean waitForPhase;
    private final int waitTimeoutMinutes;
    private final int pollSeconds;
    private final int logsPollMillis;
    /** PATH (or -A's FILE), and a program's arguments. */
    private String path;
    private List<String> args = List.of();

    Run(Invocation in) {
      this.in = in;
      this.api = ApiOptions.of(in);
      this.attr = in.value("--attr");
      this.binary = in.flag("--binary");
      this.instanceTypes = instanceTypes(in.value("--type"));
      this.spot = in.flag("--spot");
      this.ttlMinutes = in.intValue("--ttl");
      this.waitForPhase = in.flag("--wait");
      this.waitTimeoutMinutes = in.intValue("--wait-timeout", 15);
      this.pollSeconds = in.intValue("--poll-seconds", 2);
      this.logsPollMillis = in.intValue("--logs-poll-millis", 500);
    }

    int call() throws Exception {
      splitPositionals();
      Map<String, Object> body = new LinkedHashMap<>();
      String target = attr != null ? build() : path;
      boolean program = target != null && isBinary(target);
      if (target != null) {
        body.put(program ? "nix_binary" : "nix_toplevel", validated(target));
      } else if (binary) {
        throw in.usage("--binary needs a PATH");
      }
      if (!args.isEmpty()) {
        if (!program) {
          throw in.usage("ARGS are a program's arguments, but " + (target == null ? "no PATH was given" : target + " is not a program"));
        }
        body.put("args", args);
      }
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
      Reply created = client.call(Endpoint.CREATE, body);
      if (created.failed()) {
        return Answer.error(in, created);
      }
      JsonValue vm = created.body().path("vm");
      PrintWriter out = in.out();
      if (!waitForPhase) {
        return Answer.print(in, api, created, (o, b) -> o.println("Created " + Render.summary(vm, Instant.now())));
      }
      if (!api.json) {
        out.println("Created " + Render.summary(vm, Instant.now()));
        out.flush();
      }
      return waitForPhase(client, vm.path("vm_id").asText());
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

    /**
     * PATH is the first positional before {@code --} (with -A, the FILE; there may be none); the
     * rest are the program's arguments. Without -A, {@code run -- PROGRAM ARGS} works too.
     */
    private void splitPositionals() {
      List<String> positionals = in.positionals();
      boolean pathFirst = in.beforeDashes() > 0 || (attr == null && !positionals.isEmpty());
      path = pathFirst ? positionals.get(0) : null;
      args = List.copyOf(positionals.subList(pathFirst ? 1 : 0, positionals.size()));
    }

    /** Create, then follow the program to its end; the exit code is the program's (or 125). */
    private int runProgram(Map<String, Object> body) throws InterruptedException {
      PrintWriter err = in.err();
      try {
        ApiClient client = api.client(in.env());
        Reply created = client.call(Endpoint.CREATE, body);
        if (created.failed()) {
          Answer.error(in, created);
          return ProgramWait.NOT_FINISHED;
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

    private boolean isBinary(String target) {
      if (binary) {
        return true;
      }
      if (target.indexOf('/', StorePath.STORE_DIR.length()) >= 0) {
        return true;
      }
      // A whole store path that is a file (writeScript, writeShellScript…) is a program too.
      return Files.isRegularFile(Path.of(target));
    }

    private String validated(String target) {
      try {
        return isBinary(target) ? BinaryPath.parse(target).toString() : StorePath.parse(target).toString();
      } catch (IllegalArgumentException e) {
        throw in.usage("invalid PATH " + target + ": " + e.getMessage());
      }
    }

    /** Runs build-toplevel.sh; its last line of output is the store path it pushed. */
    private String build() throws IOException, InterruptedException {
      Path script = scriptsDir().resolve("build-toplevel.sh");
      List<String> command = path == null ? List.of(script.toString(), "-A", attr) : List.of(script.toString(), "-A", attr, path);
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
      // The script reads NIX_SIGNING_KEY_FILE, NIX_CACHE…: from the environment this command was given.
      builder.environment().putAll(in.env());
      Process process = builder.start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = process.waitFor();
      if (status == Main.USAGE) {
        throw new ConfigException("build-toplevel.sh refused its inputs (see its message above); nothing was created");
      }
      if (status != 0) {
        throw new CliException(Main.FAILED, "build-toplevel.sh failed with exit code " + status + "; nothing was created.");
      }
      return output.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b)
          .orElseThrow(() -> new CliException(Main.FAILED, "build-toplevel.sh printed no store path."))
          .trim();
    }

    private Path scriptsDir() {
      return Optional.ofNullable(in.env().get("THEBACKND_SCRIPTS_DIR"))
          .map(Path::of)
          .orElseThrow(() -> new ConfigException("THEBACKND_SCRIPTS_DIR is not set; run through toplevel-scripts/thebacknd"));
    }

    /** Polls list until the VM is running, finished or failed, or the timeout; bounded by design. */
    private int waitForPhase(ApiClient client, String vmId) throws InterruptedException {
      PrintWriter out = in.out();
      PrintWriter err = in.err();
      long rounds = Math.max(1, Duration.ofMinutes(waitTimeoutMinutes).toSeconds() / Math.max(1, pollSeconds));
      String lastPhase = null;
      JsonValue lastSeen = null;
      for (long round = 0; round < rounds; round++) {
        Reply listed = client.call(Endpoint.LIST, null);
        if (listed.failed()) {
          return Answer.error(in, listed);
        }
        Optional<JsonValue> vm = find(listed.body().path("vms"), vmId);
        if (vm.isEmpty() && lastSeen == null && round < NOT_YET_LISTED_ROUNDS) {
          // EC2's DescribeInstances is eventually consistent: a new VM may take a moment to show.
          Thread.sleep(Duration.ofSeconds(pollSeconds).toMillis());
          continue;
        }
        if (vm.isEmpty()) {
          // A program's VM destroys itself as soon as the program exits, which can be quicker than
          // one poll; a failed program would have reported `failed` and stayed up for debugging.
          boolean programDone = "finished".equals(lastPhase)
              || (lastSeen != null && lastSeen.hasNonNull("nix_binary") && lastPhase != null && !"failed".equals(lastPhase));
          if (programDone && !api.json) {
            out.println(Render.text(lastSeen, "name") + ": finished (the program exited and the VM destroyed itself)");
            out.flush();
          }
          finish(out, lastSeen, programDone ? null : "interrupted".equals(lastPhase)
              ? "the VM is gone: AWS reclaimed its spot capacity (" + Render.text(lastSeen, "phase_detail") + ")"
              : "the VM is gone (last phase: " + Objects.requireNonNullElse(lastPhase, "none") + ")");
          return programDone ? Main.OK : Main.FAILED;
        }
        lastSeen = vm.get();
        String phase = vm.get().path("phase").asText();
        if (phase != null && !phase.equals(lastPhase)) {
          lastPhase = phase;
          if (!api.json) {
            String detail = Render.text(vm.get(), "phase_detail");
            out.println(Render.text(vm.get(), "name") + ": " + phase + ("-".equals(detail) ? "" : " (" + detail + ")"));
            out.flush();
          }
        }
        if ("running".equals(phase) || "finished".equals(phase)) {
          finish(out, lastSeen, null);
          return Main.OK;
        }
        if ("failed".equals(phase)) {
          finish(out, lastSeen, "the VM failed: " + Render.text(vm.get(), "phase_detail"));
          showLogTail(client, vmId, Render.text(vm.get(), "name"));
          return Main.FAILED;
        }
        if ("interrupted".equals(phase)) {
          finish(out, lastSeen, "the VM will not get there: AWS is reclaiming its spot capacity (" + Render.text(vm.get(), "phase_detail")
              + "); run it again, or without --spot");
          return Main.FAILED;
        }
        if ("unresponsive".equals(phase)) {
          String name = Render.text(vm.get(), "name");
          finish(out, lastSeen, "the VM never reported past booting within THEBACKND_BOOT_TIMEOUT_MINUTES (unresponsive); destroy-old"
              + " will terminate it; its serial console may tell why: thebacknd console " + name);
          return Main.FAILED;
        }
        Thread.sleep(Duration.ofSeconds(pollSeconds).toMillis());
      }
      err.println("thebacknd: gave up waiting after " + waitTimeoutMinutes + " minutes; the VM keeps running until it expires");
      return Main.FAILED;
    }

    /**
     * The last lines of a failed VM's log (what its agent sent: DESIGN §9), on stderr. The agent
     * sends the end of its log just after reporting `failed`: waited for, a few seconds at most.
     */
    private void showLogTail(ApiClient client, String vmId, String name) throws InterruptedException {
      StringBuilder log = new StringBuilder();
      LogReader reader = LogReader.byVmId(client, vmId);
      try {
        for (int round = 0; round < LOG_TAIL_ROUNDS; round++) {
          reader.read(log::append, page -> {});
          if (reader.done()) {
            break;
          }
          Thread.sleep(Duration.ofSeconds(1).toMillis());
        }
      } catch (CliException | thebacknd.Failure unavailable) {
        // The verdict is already printed; the log is a bonus (no output bucket, an old agent…).
      }
      List<String> lines = log.toString().lines().toList();
      if (lines.isEmpty()) {
        return;
      }
      PrintWriter err = in.err();
      err.println("thebacknd: the last lines of its log (all of it: thebacknd logs " + name + "):");
      lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()).forEach(l -> err.println("  | " + l));
      err.flush();
    }

    private void finish(PrintWriter out, JsonValue vm, String problem) {
      if (api.json && vm != null) {
        out.println(JsonValue.write(JsonValue.object("vm", vm)));
        out.flush();
      }
      if (problem != null) {
        in.err().println("thebacknd: " + problem);
        in.err().flush();
      }
    }

    private static Optional<JsonValue> find(JsonValue vms, String vmId) {
      for (JsonValue vm : vms) {
        if (vmId.equals(vm.path("vm_id").asText())) {
          return Optional.of(vm);
        }
      }
      return Optional.empty();
    }
  }
}
