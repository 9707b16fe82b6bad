package thebacknd.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;

/**
 * One run of a command: its command line read against its {@link Spec} (flags, option values,
 * positional arguments), the environment and the two output streams it runs with.
 *
 * <p>Reading: options anywhere before {@code --} ({@code --ttl 30} or {@code --ttl=30}), everything
 * else (and everything after {@code --}) positional; {@code -h}/{@code --help} before {@code --}
 * asks for help. An unknown option, a missing value, or too few or too many arguments is a usage
 * error (exit 2).
 */
final class Invocation {

  private final String command;
  private final Spec spec;
  private final Set<String> flags;
  private final Map<String, String> values;
  private final List<String> positionals;
  private final int beforeDashes;
  private final boolean helpAsked;
  private final Map<String, String> env;
  private final PrintWriter out;
  private final PrintWriter err;

  private Invocation(String command, Spec spec, Set<String> flags, Map<String, String> values, List<String> positionals,
      int beforeDashes, boolean helpAsked, Map<String, String> env, PrintWriter out, PrintWriter err) {
    this.command = command;
    this.spec = spec;
    this.flags = flags;
    this.values = values;
    this.positionals = positionals;
    this.beforeDashes = beforeDashes;
    this.helpAsked = helpAsked;
    this.env = env;
    this.out = out;
    this.err = err;
  }

  /**
   * Reads {@code tokens} (what followed the command's name) for the command {@code command} (its
   * full name, {@code thebacknd cache verify}).
   */
  static Invocation parse(String command, Spec spec, List<String> tokens, Map<String, String> env, PrintWriter out, PrintWriter err) {
    Set<String> flags = new HashSet<>();
    Map<String, String> values = new HashMap<>();
    List<String> positionals = new ArrayList<>();
    int beforeDashes = -1;
    boolean help = false;
    for (int i = 0; i < tokens.size(); i++) {
      String token = tokens.get(i);
      if (beforeDashes >= 0 || token.equals("-") || !token.startsWith("-")) {
        positionals.add(token);
        continue;
      }
      if (token.equals("--")) {
        beforeDashes = positionals.size();
        continue;
      }
      int equals = token.startsWith("--") ? token.indexOf('=') : -1;
      String name = equals > 0 ? token.substring(0, equals) : token;
      if (Spec.HELP.names().contains(name)) {
        help = true;
        continue;
      }
      Option option = spec.option(name).orElse(null);
      if (option == null) {
        List<String> names = new ArrayList<>(Spec.HELP.names());
        spec.shownOptions().forEach(o -> names.addAll(o.names()));
        throw usage(command, "Unknown option: '" + token + "'" + DidYouMean.hint(name, names));
      }
      if (!option.takesValue()) {
        if (equals > 0) {
          throw usage(command, "option '" + name + "' takes no value");
        }
        flags.add(option.key());
      } else if (equals > 0) {
        values.put(option.key(), token.substring(equals + 1));
      } else if (i + 1 < tokens.size()) {
        values.put(option.key(), tokens.get(++i));
      } else {
        throw usage(command, "Missing required parameter for option '" + name + "' (" + option.param() + ")");
      }
    }
    Invocation parsed = new Invocation(command, spec, flags, values, List.copyOf(positionals),
        beforeDashes < 0 ? positionals.size() : beforeDashes, help, env, out, err);
    if (!help) {
      parsed.checkArgumentCount();
    }
    return parsed;
  }

  private void checkArgumentCount() {
    long min = 0;
    long max = 0;
    for (Argument argument : spec.arguments()) {
      min += argument.min();
      if (positionals.size() < min) {
        throw usage("Missing required parameter: '" + argument.label() + "'");
      }
      max += argument.max();
    }
    if (positionals.size() > max) {
      throw usage("Unexpected argument: '" + positionals.get((int) max) + "'");
    }
  }

  boolean helpAsked() {
    return helpAsked;
  }

  /** The command's full name, as its usage line and messages show it ({@code thebacknd logs}). */
  String command() {
    return command;
  }

  Spec spec() {
    return spec;
  }

  /** Whether the flag was given; {@code name} is any of its names. */
  boolean flag(String name) {
    return flags.contains(declared(name, false).key());
  }

  /** The option's value, or null when it was not given. */
  String value(String name) {
    return values.get(declared(name, true).key());
  }

  /** The option's value as a whole number, or null; anything else is a usage error. */
  Integer intValue(String name) {
    String value = value(name);
    if (value == null) {
      return null;
    }
    try {
      return Integer.valueOf(value.trim());
    } catch (NumberFormatException e) {
      throw usage("Invalid value for option '" + name + "': '" + value + "' is not a whole number");
    }
  }

  /** A whole number of at least 1 (minutes, seconds…), or null when not given; 0 or less is a usage error. */
  Integer positiveValue(String name) {
    Integer value = intValue(name);
    if (value != null && value < 1) {
      throw usage("Invalid value for option '" + name + "': " + value + " (at least 1)");
    }
    return value;
  }

  int positiveValue(String name, int whenAbsent) {
    Integer value = positiveValue(name);
    return value == null ? whenAbsent : value;
  }

  int intValue(String name, int whenAbsent) {
    Integer value = intValue(name);
    return value == null ? whenAbsent : value;
  }

  /** Every positional argument, those after {@code --} included. */
  List<String> positionals() {
    return positionals;
  }

  /** The positional argument at {@code index}, or null. */
  String positional(int index) {
    return index < positionals.size() ? positionals.get(index) : null;
  }

  /** How many positional arguments came before {@code --} (all of them when there was none). */
  int beforeDashes() {
    return beforeDashes;
  }

  Map<String, String> env() {
    return env;
  }

  PrintWriter out() {
    return out;
  }

  PrintWriter err() {
    return err;
  }

  /** A usage error of this command (exit 2), pointing at its --help. */
  CliException usage(String message) {
    return usage(command, message);
  }

  private static CliException usage(String command, String message) {
    return new CliException(Main.USAGE, message + " (see " + command + " --help)");
  }

  private Option declared(String name, boolean withValue) {
    Option option = spec.option(name).orElse(null);
    if (option == null) {
      throw new IllegalArgumentException(command + " declares no option " + name);
    }
    if (option.takesValue() != withValue) {
      throw new IllegalArgumentException(name + (withValue ? " is a flag" : " takes a value"));
    }
    return option;
  }
}
