package thebacknd.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;

/**
 * {@code thebacknd completion bash|zsh|fish}: a completion script for the shell, written from the
 * commands' {@link Spec}s, so it always knows every command and option. It completes commands,
 * options, file names where an argument is a PATH or FILE, and the shells of {@code completion}.
 */
final class CompletionCommand implements Command {

  static final List<String> SHELLS = List.of("bash", "zsh", "fish");

  /**
   * Prints the live VMs' names for completing a NAME, from a cache file at most
   * {@link #NAMES_CACHED_SECONDS} old (its first line is when it was written), else from
   * {@code thebacknd list}: a JVM start at most that often, not at every TAB. POSIX sh, run by
   * each shell's script alike.
   */
  static final String VM_NAMES_SH = "f=${XDG_CACHE_HOME:-$HOME/.cache}/thebacknd/vm-names; now=$(date +%s);"
      + " stamp=$(head -n 1 \"$f\" 2>/dev/null); case $stamp in \"\"|*[!0-9]*) stamp=0 ;; esac;"
      + " if [ $((now - stamp)) -ge NAMES_CACHED ]; then mkdir -p \"${f%/*}\" && { echo \"$now\";"
      + " thebacknd list 2>/dev/null | sed 1d | cut -d \" \" -f 1; } >\"$f.$$\" && mv -f \"$f.$$\" \"$f\"; fi;"
      + " sed 1d \"$f\" 2>/dev/null";
  static final int NAMES_CACHED_SECONDS = 10;

  private static String vmNamesScript() {
    return VM_NAMES_SH.replace("NAMES_CACHED", Integer.toString(NAMES_CACHED_SECONDS));
  }

  /** Whether a command's first argument is a VM's name (destroy, extend, logs, console, ssh). */
  private static boolean takesVmName(Spec spec) {
    return !spec.arguments().isEmpty() && spec.arguments().get(0).label().equals("NAME");
  }

  static final Spec SPEC = Spec.of("completion", "Print a shell completion script (bash, zsh or fish).")
      .description(
          "Print a completion script for your shell:",
          "The same scripts ship as files in toplevel-scripts/completion/; source those from your "
              + "shell's start-up file instead, so that no JVM starts with every new shell:",
          "  bash: source REPO/toplevel-scripts/completion/thebacknd.bash   # in ~/.bashrc",
          "  zsh:  source REPO/toplevel-scripts/completion/_thebacknd        # ~/.zshrc",
          "  fish: source REPO/toplevel-scripts/completion/thebacknd.fish    # config.fish",
          "(zsh: after compinit; fish: ~/.config/fish/config.fish.)",
          "They complete commands, options, files, and VM names (from thebacknd list, cached for "
              + NAMES_CACHED_SECONDS + " seconds).")
      .arguments(Argument.required("SHELL", "bash, zsh or fish."));

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) {
    String shell = in.positional(0);
    String script = switch (shell) {
      case "bash" -> bash(Main.COMMANDS);
      case "zsh" -> zsh(Main.COMMANDS);
      case "fish" -> fish(Main.COMMANDS);
      default -> throw in.usage("no completion for " + shell + "; the shells are " + String.join(", ", SHELLS));
    };
    in.out().print(script);
    in.out().flush();
    return Main.OK;
  }

  /** A leaf command with its full name after {@code thebacknd}: {@code list}, {@code cache verify}. */
  private record Leaf(String name, Spec spec) {}

  private static List<Leaf> leaves(List<Command> commands) {
    List<Leaf> leaves = new ArrayList<>();
    for (Command command : commands) {
      Spec spec = command.spec();
      leaves.add(new Leaf(spec.name(), spec));
      spec.subcommands().forEach(sub -> leaves.add(new Leaf(spec.name() + " " + sub.spec().name(), sub.spec())));
    }
    return leaves;
  }

  /** Whether an argument or option value is a file name. */
  private static boolean isFile(String label) {
    return label != null && (label.contains("PATH") || label.contains("FILE"));
  }

  /** What an argument may be besides a file: the shells of completion, a group's commands. */
  private static List<String> words(Spec spec) {
    if (spec.name().equals("completion")) {
      return SHELLS;
    }
    return spec.subcommands().stream().map(c -> c.spec().name()).toList();
  }

  private static List<String> optionNames(Spec spec) {
    List<String> names = new ArrayList<>();
    spec.shownOptions().forEach(o -> names.addAll(o.names()));
    return names;
  }

  // ------------------------------------------------------------------ bash

  static String bash(List<Command> commands) {
    StringBuilder s = new StringBuilder();
    s.append("# thebacknd completion for bash: source this file (toplevel-scripts/completion/thebacknd.bash) in ~/.bashrc\n");
    s.append("# shellcheck shell=bash disable=SC2207 # compgen's words are split into COMPREPLY on purpose\n");
    s.append("_thebacknd_vm_names() {\n");
    s.append("  sh -c ").append(zshQuote(vmNamesScript())).append('\n');
    s.append("}\n");
    s.append("_thebacknd() {\n");
    s.append("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" command=\"\" i\n");
    s.append("  for ((i = 1; i < COMP_CWORD; i++)); do\n");
    s.append("    case \"${COMP_WORDS[i]}\" in\n");
    s.append("      -*) ;;\n");
    s.append("      *)\n");
    s.append("        if [[ -z \"$command\" ]]; then command=\"${COMP_WORDS[i]}\"\n");
    for (Command group : commands) {
      if (!group.spec().subcommands().isEmpty()) {
        s.append("        elif [[ \"$command\" == ").append(group.spec().name())
            .append(" ]]; then command=\"").append(group.spec().name()).append(" ${COMP_WORDS[i]}\"\n");
      }
    }
    s.append("        else break; fi ;;\n");
    s.append("    esac\n");
    s.append("  done\n");
    s.append("  local options=\"\" values=\"\" file_values=\"\" words=\"\" files=\"\" names=\"\"\n");
    s.append("  case \"$command\" in\n");
    s.append("    \"\") COMPREPLY=($(compgen -W \"")
        .append(commands.stream().map(c -> c.spec().name()).collect(Collectors.joining(" ")))
        .append(" -h --help -V --version\" -- \"$cur\")); return ;;\n");
    for (Leaf leaf : leaves(commands)) {
      Spec spec = leaf.spec();
      List<String> values = new ArrayList<>();
      List<String> fileValues = new ArrayList<>();
      for (Option option : spec.shownOptions()) {
        if (option.takesValue()) {
          (isFile(option.param()) ? fileValues : values).addAll(option.names());
        }
      }
      boolean files = spec.arguments().stream().anyMatch(a -> isFile(a.label()));
      s.append("    \"").append(leaf.name()).append("\") options=\"").append(String.join(" ", optionNames(spec)))
          .append("\" values=\"").append(String.join(" ", values))
          .append("\" file_values=\"").append(String.join(" ", fileValues))
          .append("\" words=\"").append(String.join(" ", words(spec)))
          .append("\" files=\"").append(files ? "yes" : "")
          .append("\" names=\"").append(takesVmName(spec) ? "yes" : "").append("\" ;;\n");
    }
    s.append("    *) return ;;\n");
    s.append("  esac\n");
    s.append("  if [[ -n \"$prev\" && \" $file_values \" == *\" $prev \"* ]]; then COMPREPLY=($(compgen -f -- \"$cur\")); return; fi\n");
    s.append("  if [[ -n \"$prev\" && \" $values \" == *\" $prev \"* ]]; then COMPREPLY=(); return; fi\n");
    s.append("  if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n");
    s.append("  elif [[ -n \"$files\" ]]; then COMPREPLY=($(compgen -f -- \"$cur\"))\n");
    s.append("  elif [[ -n \"$names\" ]]; then COMPREPLY=($(compgen -W \"$(_thebacknd_vm_names)\" -- \"$cur\"))\n");
    s.append("  else COMPREPLY=($(compgen -W \"$words\" -- \"$cur\")); fi\n");
    s.append("}\n");
    s.append("complete -o filenames -F _thebacknd thebacknd\n");
    return s.toString();
  }

  // ------------------------------------------------------------------ zsh

  static String zsh(List<Command> commands) {
    StringBuilder s = new StringBuilder();
    s.append("#compdef thebacknd\n");
    s.append("# thebacknd completion for zsh: source this file (toplevel-scripts/completion/_thebacknd) in ~/.zshrc, after compinit\n");
    s.append("_thebacknd_vm_names() {\n");
    s.append("  local -a names\n");
    s.append("  names=(${(f)\"$(sh -c ").append(zshQuote(vmNamesScript())).append(")\"})\n");
    s.append("  compadd -a names\n");
    s.append("}\n");
    s.append("_thebacknd() {\n");
    s.append("  local -a commands\n");
    s.append("  commands=(\n");
    for (Command command : commands) {
      s.append("    ").append(zshQuote(command.spec().name() + ":" + command.spec().summary())).append('\n');
    }
    s.append("  )\n");
    s.append("  if (( CURRENT == 2 )); then\n");
    s.append("    _describe -t commands 'thebacknd command' commands\n");
    s.append("    return\n");
    s.append("  fi\n");
    s.append("  local command=$words[2]\n");
    s.append("  shift words; (( CURRENT-- ))\n");
    for (Command group : commands) {
      Spec spec = group.spec();
      if (spec.subcommands().isEmpty()) {
        continue;
      }
      s.append("  if [[ $command == ").append(spec.name()).append(" ]]; then\n");
      s.append("    if (( CURRENT == 2 )); then\n");
      s.append("      local -a subcommands\n");
      s.append("      subcommands=(");
      for (Command sub : spec.subcommands()) {
        s.append(' ').append(zshQuote(sub.spec().name() + ":" + sub.spec().summary()));
      }
      s.append(" )\n");
      s.append("      _describe -t commands '").append(spec.name()).append(" command' subcommands\n");
      s.append("      return\n");
      s.append("    fi\n");
      s.append("    command=\"").append(spec.name()).append(" $words[2]\"\n");
      s.append("    shift words; (( CURRENT-- ))\n");
      s.append("  fi\n");
    }
    s.append("  case $command in\n");
    for (Leaf leaf : leaves(commands)) {
      if (!leaf.spec().subcommands().isEmpty()) {
        continue;
      }
      s.append("    (").append(leaf.name().replace(" ", "\\ ")).append(")\n");
      s.append("      _arguments -s -S");
      for (Option option : leaf.spec().shownOptions()) {
        s.append(" \\\n        ");
        String description = "[" + zshBracketed(option.description()) + "]";
        String value = option.takesValue() ? ":" + option.param() + ":" + (isFile(option.param()) ? "_files" : " ") : "";
        if (option.names().size() > 1) {
          s.append("'(").append(String.join(" ", option.names())).append(")'{")
              .append(String.join(",", option.names())).append('}').append(zshQuote(description + value));
        } else {
          s.append(zshQuote(option.names().get(0) + description + value));
        }
      }
      for (Argument argument : leaf.spec().arguments()) {
        String action = isFile(argument.label()) ? "_files"
            : argument.label().equals("NAME") ? "_thebacknd_vm_names"
            : words(leaf.spec()).isEmpty() ? " " : "(" + String.join(" ", words(leaf.spec())) + ")";
        String label = argument.label().replace(":", "");
        String position = argument.max() > 1 ? "*:" : argument.min() == 0 ? "::" : ":";
        s.append(" \\\n        ").append(zshQuote(position + label + ":" + action));
      }
      s.append(" ;;\n");
    }
    s.append("  esac\n");
    s.append("}\n");
    s.append("compdef _thebacknd thebacknd\n");
    return s.toString();
  }

  private static String zshQuote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  /** Text inside _arguments' [description]: brackets and colons escaped. */
  private static String zshBracketed(String text) {
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:");
  }

  // ------------------------------------------------------------------ fish

  static String fish(List<Command> commands) {
    StringBuilder s = new StringBuilder();
    s.append("# thebacknd completion for fish: source this file (toplevel-scripts/completion/thebacknd.fish) in ~/.config/fish/config.fish\n");
    s.append("function __thebacknd_vm_names\n");
    s.append("  sh -c ").append(fishQuote(vmNamesScript())).append('\n');
    s.append("end\n");
    s.append("complete -c thebacknd -f\n");
    s.append("complete -c thebacknd -n __fish_use_subcommand -s h -l help -d 'Show this help and exit.'\n");
    s.append("complete -c thebacknd -n __fish_use_subcommand -s V -l version -d 'Print the version and exit.'\n");
    for (Command command : commands) {
      s.append("complete -c thebacknd -n __fish_use_subcommand -a ").append(command.spec().name())
          .append(" -d ").append(fishQuote(command.spec().summary())).append('\n');
    }
    for (Leaf leaf : leaves(commands)) {
      Spec spec = leaf.spec();
      String[] names = leaf.name().split(" ");
      String condition = names.length == 1
          ? "__fish_seen_subcommand_from " + names[0]
          : "__fish_seen_subcommand_from " + names[0] + "; and __fish_seen_subcommand_from " + names[1];
      if (!spec.subcommands().isEmpty()) {
        String none = spec.subcommands().stream().map(c -> c.spec().name()).collect(Collectors.joining(" "));
        condition = condition + "; and not __fish_seen_subcommand_from " + none;
      }
      String when = " -n " + fishQuote(condition);
      for (Option option : spec.shownOptions()) {
        s.append("complete -c thebacknd").append(when);
        for (String name : option.names()) {
          s.append(name.startsWith("--") ? " -l " + name.substring(2) : " -s " + name.substring(1));
        }
        if (option.takesValue()) {
          s.append(isFile(option.param()) ? " -r -F" : " -x");
        }
        s.append(" -d ").append(fishQuote(option.description())).append('\n');
      }
      if (spec.arguments().stream().anyMatch(a -> isFile(a.label()))) {
        s.append("complete -c thebacknd").append(when).append(" -F\n");
      }
      if (takesVmName(spec)) {
        s.append("complete -c thebacknd").append(when).append(" -a '(__thebacknd_vm_names)'\n");
      }
      for (String word : words(spec)) {
        String description = spec.subcommand(word).map(c -> " -d " + fishQuote(c.spec().summary())).orElse("");
        s.append("complete -c thebacknd").append(when).append(" -a ").append(word).append(description).append('\n');
      }
    }
    return s.toString();
  }

  private static String fishQuote(String text) {
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
