package thebacknd.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a command accepts: its name, a one-line summary (the command list), a longer description
 * (its {@code --help}), its options, its positional arguments and its subcommands. {@link Help}
 * renders it, {@link Invocation#parse} reads a command line with it, {@link CompletionCommand}
 * turns it into shell completion. Every command answers {@code -h}/{@code --help} without declaring it.
 *
 * <pre>{@code
 * static final Spec SPEC = Spec.of("destroy", "Destroy one VM by name.")
 *     .arguments(Argument.required("NAME", "The VM's name, as list shows it."))
 *     .options(Option.flag("--dry-run", "Only show what would be destroyed."))
 *     .options(ApiOptions.OPTIONS);
 * }</pre>
 */
record Spec(
    String name,
    String summary,
    List<String> description,
    List<Option> options,
    List<Argument> arguments,
    List<Command> subcommands,
    boolean runsAlone) {

  static final Option HELP = Option.flag("-h, --help", "Show this help and exit.");

  static Spec of(String name, String summary) {
    return new Spec(name, summary, List.of(), List.of(), List.of(), List.of(), false);
  }

  /**
   * The --help text under the usage line (the summary when there is none): paragraphs, wrapped to
   * fit; one that starts with two spaces (an example) is shown as it is.
   */
  Spec description(String... paragraphs) {
    return new Spec(name, summary, List.of(paragraphs), options, arguments, subcommands, runsAlone);
  }

  Spec options(Option... more) {
    return options(List.of(more));
  }

  Spec options(List<Option> more) {
    List<Option> all = new ArrayList<>(options);
    all.addAll(more);
    return new Spec(name, summary, description, List.copyOf(all), arguments, subcommands, runsAlone);
  }

  Spec arguments(Argument... more) {
    List<Argument> all = new ArrayList<>(arguments);
    all.addAll(Arrays.asList(more));
    return new Spec(name, summary, description, options, List.copyOf(all), subcommands, runsAlone);
  }

  Spec subcommands(Command... commands) {
    return new Spec(name, summary, description, options, arguments, List.of(commands), runsAlone);
  }

  /**
   * A group that is also a command of its own: {@code thebacknd pool} runs, {@code thebacknd
   * pool fill} runs its subcommand. (A group otherwise needs a subcommand: {@code cache}.)
   */
  Spec runnableAlone() {
    return new Spec(name, summary, description, options, arguments, subcommands, true);
  }

  /** The option one of whose names is {@code name} ({@code -f} or {@code --follow}). */
  Optional<Option> option(String name) {
    for (Option option : options) {
      if (option.names().contains(name)) {
        return Optional.of(option);
      }
    }
    return Optional.empty();
  }

  Optional<Command> subcommand(String name) {
    for (Command command : subcommands) {
      if (command.spec().name().equals(name)) {
        return Optional.of(command);
      }
    }
    return Optional.empty();
  }

  /** The options --help shows: the declared ones that are not hidden, then -h/--help. */
  List<Option> shownOptions() {
    List<Option> shown = new ArrayList<>(options.stream().filter(Option::shown).toList());
    shown.add(HELP);
    return shown;
  }

  /**
   * One option. {@code names} are written as in help, {@code "-f, --follow"}; {@code param} is the
   * value's label ({@code MINUTES}), null for a flag.
   */
  record Option(List<String> names, String param, String description, boolean shown) {

    static Option flag(String names, String description) {
      return new Option(split(names), null, description, true);
    }

    static Option value(String names, String param, String description) {
      return new Option(split(names), param, description, true);
    }

    /** "-f, --follow" into its names (without String.split's regular expression: start-up). */
    private static List<String> split(String names) {
      int comma = names.indexOf(", ");
      return comma < 0 ? List.of(names) : List.of(names.substring(0, comma), names.substring(comma + 2));
    }

    /** Accepted, but left out of --help and completion (tuning knobs for tests and scripts). */
    Option hidden() {
      return new Option(names, param, description, false);
    }

    boolean takesValue() {
      return param != null;
    }

    /** The name it is looked up by: its last (long) one. */
    String key() {
      return names.get(names.size() - 1);
    }
  }

  /** Positional arguments under one label: between {@code min} and {@code max} of them. */
  record Argument(String label, String description, int min, int max) {

    static Argument required(String label, String description) {
      return new Argument(label, description, 1, 1);
    }

    static Argument optional(String label, String description) {
      return new Argument(label, description, 0, 1);
    }

    static Argument any(String label, String description) {
      return new Argument(label, description, 0, Integer.MAX_VALUE);
    }

    /** As the usage line shows it: {@code NAME}, {@code [NAME]}, {@code [ARGS...]}. */
    String usage() {
      String shown = max > 1 ? label + "..." : label;
      return min == 0 ? "[" + shown + "]" : shown;
    }
  }
}
