package thebacknd.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;
import thebacknd.Failure;
import thebacknd.config.ConfigException;

/**
 * {@code thebacknd}: the developer's command. Exit codes: 0 ok, 1 the operation failed, 2 usage or
 * configuration error; {@code run PROGRAM --wait} exits with the program's code (125 when it never
 * finished), {@code ssh} with ssh's.
 */
@Command(
    name = "thebacknd",
    mixinStandardHelpOptions = true,
    // Every subcommand answers --help (and --version) too (DESIGN §7).
    scope = ScopeType.INHERIT,
    version = "thebacknd 0.1.0",
    description = "Run a NixOS toplevel or a program on a fresh, self-destroying EC2 VM.",
    subcommands = {
      RunCommand.class,
      ListCommand.class,
      DestroyCommand.class,
      DestroyAllCommand.class,
      DestroyOldCommand.class,
      ExtendCommand.class,
      ServeCommand.class,
      LogsCommand.class,
      ConsoleCommand.class,
      SshCommand.class,
      CacheCommand.class,
      CompletionCommand.class
    })
public final class Main implements Runnable {

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final Map<String, String> env;

  Main(Map<String, String> env) {
    this.env = env;
  }

  Map<String, String> env() {
    return env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "a command is required; see --help");
  }

  public static void main(String[] args) {
    // UTF-8 whatever the locale: a program's output (run --wait, logs) is UTF-8 text.
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    System.exit(execute(args, System.getenv(), out, err));
  }

  /** Runs one command line; used by {@link #main} and by tests (with their own env and streams). */
  public static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main(env));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof ConfigException) {
            err.println("thebacknd: configuration error: " + e.getMessage());
            return USAGE;
          }
          if (e instanceof Failure f) {
            err.println("thebacknd: " + f.getMessage());
            return f.kind() == Failure.Kind.BAD_REQUEST ? USAGE : FAILED;
          }
          if (e instanceof CliException c) {
            err.println("thebacknd: " + c.getMessage());
            return c.exitCode();
          }
          if ("true".equals(env.get("THEBACKND_DEBUG"))) {
            throw e;
          }
          // Port in use, a script that cannot start…: one line (THEBACKND_DEBUG=true for the trace).
          err.println("thebacknd: " + e.getClass().getSimpleName() + ": " + Failure.excerpt(e.getMessage(), 300));
          return FAILED;
        });
    return cli.execute(args);
  }
}
