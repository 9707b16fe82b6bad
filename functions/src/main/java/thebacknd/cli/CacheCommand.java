package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.Json;
import thebacknd.aws.AwsClients;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.CacheLocation;
import thebacknd.cache.ClosureCheck;
import thebacknd.cache.ClosureReport;
import thebacknd.cache.StorePath;
import thebacknd.cache.TrustedKeys;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;

/** {@code thebacknd cache …}: binary cache tools. */
@Command(
    name = "cache",
    description = "Binary cache tools.",
    subcommands = {CacheCommand.Verify.class})
final class CacheCommand implements Runnable {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a cache command is required; see thebacknd cache --help");
  }

  /**
   * {@code thebacknd cache verify PATH}: the check {@code create} makes before launching, run from
   * the developer's machine with their AWS credentials. Exit 0 when the closure is complete and
   * trusted, 1 when not (or the cache cannot be read), 2 for a bad PATH or configuration.
   */
  @Command(
      name = "verify",
      description = {
        "Check that PATH and its whole closure are in the binary cache (NIX_CACHE) and signed by a",
        "trusted key (NIX_TRUSTED_KEY), as create does before launching a VM, and whether it holds",
        "the agent's package (thebacknd-agent…), which create requires of a toplevel.",
        "Exit status: 0 complete and trusted, 1 not (or the cache cannot be read), 2 usage or configuration error."
      })
  static final class Verify implements Callable<Integer> {

    @ParentCommand CacheCommand cache;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "PATH", description = "A store path, or a program inside one.")
    String path;

    @Option(names = "--cache", paramLabel = "URL", description = "The binary cache (default: $NIX_CACHE).")
    String cacheUrl;

    @Option(names = "--trusted-key", paramLabel = "KEYS", description = "Trusted name:base64 public key(s), space separated (default: $NIX_TRUSTED_KEY).")
    String trustedKeys;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() {
      StorePath root = storePath();
      Map<String, String> env = cache.main.env();
      String url = setting(cacheUrl, env, "NIX_CACHE", "--cache");
      TrustedKeys keys = Config.trustedKeys(
          trustedKeys != null ? "--trusted-key" : "NIX_TRUSTED_KEY", setting(trustedKeys, env, "NIX_TRUSTED_KEY", "--trusted-key"));
      CacheLocation location = Config.cacheLocation(cacheUrl != null ? "--cache" : "NIX_CACHE", url);
      ClosureCheck check = ClosureCheck.forCache(location, keys, AwsClients.fromEnvironment(env));
      long started = System.nanoTime();
      ClosureReport report = check.check(root);
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
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
      out.println("  agent:        " + report.agent().map(StorePath::toString)
          .orElse("none (as a toplevel, create refuses it: 422 toplevel_without_agent)"));
      if (report.trusted()) {
        out.println("OK: every path is in the cache and signed by a trusted key.");
        return;
      }
      out.println("FAILED: " + report.problems().size() + " path(s) are not fetchable and trusted:");
      for (ClosureReport.PathProblem problem : report.problems()) {
        out.println("  " + problem.path() + "  " + problem.reason());
      }
    }

    private StorePath storePath() {
      try {
        return BinaryPath.parse(path).storePath();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid PATH " + path + ": " + e.getMessage());
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
