package thebacknd.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import thebacknd.Failure;
import thebacknd.config.ConfigException;

/**
 * {@code thebacknd}: the developer's command. Exit codes: 0 ok, 1 the operation failed, 2 usage or
 * configuration error; {@code run PROGRAM --wait} exits with the program's code (125 when it never
 * finished), {@code ssh} with ssh's.
 *
 * <p>No command-line framework: a command is a {@link Spec} (what it accepts, which also gives its
 * --help and shell completion) and a {@code run} method reading an {@link Invocation}. A command
 * that talks to the API loads only the JDK's HTTP client and {@link JsonValue}: the AWS SDK only to
 * sign requests or with {@code --local}, Jackson only with {@code --local} or {@code serve}. A
 * short command's time is the JVM's start-up, so every class counts.
 */
public final class Main {

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  static final String VERSION = "thebacknd 0.1.0";
  static final String DESCRIPTION = "Run a NixOS toplevel or a program on a fresh, self-destroying EC2 VM.";

  /** Every command, in the order --help lists them. */
  static final List<Command> COMMANDS = List.of(
      new RunCommand(),
      new ShellCommand(),
      new ListCommand(),
      new DestroyCommand(),
      new DestroyAllCommand(),
      new DestroyOldCommand(),
      new ExtendCommand(),
      new PoolCommand(),
      new LogsCommand(),
      new ConsoleCommand(),
      new SshCommand(),
      new ServeCommand(),
      new CacheCommand(),
      new CompletionCommand());

  private Main() {}

  public static void main(String[] args) {
    // UTF-8 whatever the locale: a program's output (run --wait, logs) is UTF-8 text.
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int status = execute(args, System.getenv(), out, err);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /** Runs one command line; used by {@link #main} and by tests (with their own env and streams). */
  public static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    try {
      return dispatch(Arrays.asList(args), env, out, err);
    } catch (CliException e) {
      err.println("thebacknd: " + e.getMessage());
      return e.exitCode();
    } catch (ConfigException e) {
      err.println("thebacknd: configuration error: " + e.getMessage());
      return USAGE;
    } catch (Failure f) {
      err.println("thebacknd: " + f.getMessage());
      return f.kind() == Failure.Kind.BAD_REQUEST ? USAGE : FAILED;
    } catch (Exception | LinkageError e) {
      String setting = AwsSettings.explain(e);
      if (setting != null) {
        err.println("thebacknd: configuration error: " + setting);
        return USAGE;
      }
      if ("true".equals(env.get("THEBACKND_DEBUG"))) {
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
      // Port in use, a script that cannot start…: one line (THEBACKND_DEBUG=true for the trace).
      err.println("thebacknd: " + e.getClass().getSimpleName() + ": " + Failure.excerpt(e.getMessage(), 300));
      return FAILED;
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** Finds the command (and subcommand) the arguments name, reads its command line and runs it. */
  private static int dispatch(List<String> args, Map<String, String> env, PrintWriter out, PrintWriter err) throws Exception {
    String first = args.isEmpty() ? "" : args.get(0);
    switch (first) {
      case "-h", "--help" -> {
        out.print(Help.overview(DESCRIPTION, COMMANDS));
        return OK;
      }
      case "-V", "--version" -> {
        out.println(VERSION);
        return OK;
      }
      case "" -> throw new CliException(USAGE, "a command is required (see thebacknd --help)");
      default -> { }
    }
    // Loops rather than streams and lambdas on this path: each first use of one costs start-up.
    Command command = null;
    for (Command candidate : COMMANDS) {
      if (candidate.spec().name().equals(first)) {
        command = candidate;
      }
    }
    if (command == null) {
      List<String> names = new java.util.ArrayList<>();
      for (Command candidate : COMMANDS) {
        names.add(candidate.spec().name());
      }
      throw new CliException(USAGE, "Unknown command: '" + first + "'" + DidYouMean.hint(first, names) + " (see thebacknd --help)");
    }
    String name = "thebacknd " + first;
    List<String> rest = args.subList(1, args.size());
    while (!command.spec().subcommands().isEmpty()) {
      String next = rest.isEmpty() ? "" : rest.get(0);
      if (next.equals("-h") || next.equals("--help") || (command.spec().runsAlone() && (next.isEmpty() || next.startsWith("-")))) {
        break;
      }
      Command sub = command.spec().subcommand(next).orElse(null);
      if (sub == null) {
        List<String> names = new java.util.ArrayList<>();
        command.spec().subcommands().forEach(c -> names.add(c.spec().name()));
        throw new CliException(USAGE, (next.isEmpty() ? "a " + command.spec().name() + " command is required"
            : "Unknown command: '" + next + "'" + DidYouMean.hint(next, names)) + " (see " + name + " --help)");
      }
      command = sub;
      name = name + " " + next;
      rest = rest.subList(1, rest.size());
    }
    Invocation invocation = Invocation.parse(name, command.spec(), rest, env, out, err);
    if (invocation.helpAsked()) {
      out.print(Help.of(name, command.spec()));
      return OK;
    }
    return command.run(invocation);
  }
}
