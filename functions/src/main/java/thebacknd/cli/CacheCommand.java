package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import thebacknd.Json;
import thebacknd.aws.AwsClients;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.CacheLocation;
import thebacknd.cache.ClosureCheck;
import thebacknd.cache.ClosureReport;
import thebacknd.cache.StorePath;
import thebacknd.cache.TrustedKeys;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;

/** {@code thebacknd cache …}: binary cache tools. */
final class CacheCommand implements Command {

  static final Spec SPEC = Spec.of("cache", "Binary cache tools (cache verify PATH).").subcommands(new Verify());

  @Override
  public Spec spec() {
    return SPEC;
  }

  /**
   * {@code thebacknd cache verify PATH}: the check {@code create} makes before launching, run from
   * the developer's machine with their AWS credentials. Exit 0 when the closure is complete and
   * trusted, 1 when not (or the cache cannot be read), 2 for a bad PATH or configuration.
   */
  static final class Verify implements Command {

    static final Spec SPEC = Spec.of("verify", "Check a closure is in the cache, signed by a trusted key.")
        .description(
            "Check that PATH and its whole closure are in the binary cache (NIX_CACHE) and signed by "
                + "a trusted key (NIX_TRUSTED_KEY), as create does before launching a VM, and whether it "
                + "holds the agent's package (thebacknd-agent…), which create requires of a toplevel.",
            "Exit status: 0 complete and trusted, 1 not (or the cache cannot be read), 2 usage or "
                + "configuration error.")
        .arguments(Argument.required("PATH", "A store path, or a program inside one."))
        .options(
            Option.value("--cache", "URL", "The binary cache (default: $NIX_CACHE)."),
            Option.value("--trusted-key", "KEYS", "Trusted name:base64 public key(s), space separated (default: $NIX_TRUSTED_KEY)."),
            Option.flag("--json", "Print the report as JSON."));

    @Override
    public Spec spec() {
      return SPEC;
    }

    @Override
    public int run(Invocation in) {
      StorePath root = storePath(in);
      Map<String, String> env = in.env();
      String cacheUrl = in.value("--cache");
      String trustedKeys = in.value("--trusted-key");
      String url = setting(cacheUrl, env, "NIX_CACHE", "--cache");
      TrustedKeys keys = Config.trustedKeys(
          trustedKeys != null ? "--trusted-key" : "NIX_TRUSTED_KEY", setting(trustedKeys, env, "NIX_TRUSTED_KEY", "--trusted-key"));
      CacheLocation location = Config.cacheLocation(cacheUrl != null ? "--cache" : "NIX_CACHE", url);
      ClosureCheck check = ClosureCheck.forCache(location, keys, AwsClients.fromEnvironment(env));
      long started = System.nanoTime();
      ClosureReport report = check.check(root);
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      PrintWriter out = in.out();
      if (in.flag("--json")) {
        out.println(Json.write(new JsonReport(root.toString(), url, check.trustedKeys().names(), report.pathsChecked(),
            report.trusted(), report.problems().stream().map(p -> new JsonProblem(p.path().toString(), p.reason())).toList(),
            report.agent().map(StorePath::toString).orElse(null), took.toMillis())));
      } else {
        printHuman(out, report, url, check.trustedKeys().names(), took);
      }
      out.flush();
      return report.trusted() ? Main.OK : Main.FAILED;
    }

    record JsonReport(String root, String cache, List<String> trustedKeys, int pathsChecked, boolean trusted,
        List<JsonProblem> problems, String agent, long millis) {}

    record JsonProblem(String path, String reason) {}

    private static void printHuman(PrintWriter out, ClosureReport report, String url, List<String> keyNames, Duration took) {
      out.println("Checked " + report.pathsChecked() + " path(s) in the closure of " + report.root());
      out.println("  cache:        " + url);
      out.println("  trusted keys: " + String.join(", ", keyNames));
      out.println("  time:         " + took.toMillis() + " ms");
      out.println("  agent:        " + report.agent().map(StorePath::toString).orElse(report.trusted()
          ? "none (as a toplevel, create refuses it: 422 toplevel_without_agent)"
          // An untrusted path's references are not followed: the agent may be behind it.
          : "unknown (the walk stopped at " + (report.problems().get(0).path().equals(report.root()) ? "the root" : "the paths below") + ")"));
      if (report.trusted()) {
        out.println("OK: every path is in the cache and signed by a trusted key.");
        return;
      }
      out.println("FAILED: " + report.problems().size() + " path(s) are not fetchable and trusted:");
      for (ClosureReport.PathProblem problem : report.problems()) {
        out.println("  " + problem.path() + "  " + problem.reason());
      }
    }

    private static StorePath storePath(Invocation in) {
      String path = StoreLinks.resolve(in.positional(0));
      try {
        return BinaryPath.parse(path).storePath();
      } catch (IllegalArgumentException e) {
        throw in.usage("invalid PATH " + path + ": " + e.getMessage());
      }
    }

    private static String setting(String option, Map<String, String> env, String variable, String flag) {
      return Optional.ofNullable(option)
          .or(() -> Optional.ofNullable(env.get(variable)))
          .filter(v -> !v.isBlank())
          .orElseThrow(() -> new ConfigException(variable + " is required (or " + flag + ")"));
    }
  }
}
