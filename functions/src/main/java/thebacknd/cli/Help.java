package thebacknd.cli;

import java.util.ArrayList;
import java.util.List;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;

/** The --help texts, rendered from the {@link Spec}s; every line fits {@link #WIDTH} columns. */
final class Help {

  static final int WIDTH = 80;
  /** Where descriptions start in the Arguments and Options lists. */
  private static final int COLUMN = 26;
  /** Where summaries start in the Commands list. */
  private static final int COMMAND_COLUMN = 16;

  private Help() {}

  /** {@code thebacknd --help}: what it is, and every command with its summary. */
  static String overview(String description, List<Command> commands) {
    StringBuilder text = new StringBuilder("Usage: thebacknd COMMAND [OPTIONS] [ARGUMENTS]\n\n");
    wrap(description, WIDTH).forEach(line -> text.append(line).append('\n'));
    text.append("\nCommands:\n");
    for (Command command : commands) {
      item(text, command.spec().name(), command.spec().summary(), COMMAND_COLUMN);
    }
    text.append("\nOptions:\n");
    item(text, "-h, --help", "Show this help and exit.", COMMAND_COLUMN);
    item(text, "-V, --version", "Print the version and exit.", COMMAND_COLUMN);
    text.append("\nEvery command answers --help (thebacknd run --help). Exit status: 0 ok, 1 the\n")
        .append("operation failed, 2 usage or configuration error; run PROGRAM --wait exits with\n")
        .append("the program's own code (125: it never finished), ssh with ssh's.\n");
    return text.toString();
  }

  /** {@code thebacknd COMMAND --help}. */
  static String of(String command, Spec spec) {
    StringBuilder text = new StringBuilder("Usage: ").append(command);
    if (!spec.subcommands().isEmpty()) {
      text.append(spec.runsAlone() ? " [COMMAND]" : " COMMAND");
    }
    if (!spec.options().isEmpty()) {
      text.append(" [OPTIONS]");
    }
    for (Argument argument : spec.arguments()) {
      text.append(' ').append(argument.usage());
    }
    text.append("\n\n");
    boolean first = true;
    for (String paragraph : spec.description().isEmpty() ? List.of(spec.summary()) : spec.description()) {
      // A paragraph that starts with spaces is shown as it is (an example); others are wrapped.
      boolean example = paragraph.startsWith("  ");
      text.append(first || example ? "" : "\n");
      (example ? List.of(paragraph) : wrap(paragraph, WIDTH)).forEach(line -> text.append(line).append('\n'));
      first = false;
    }
    if (!spec.subcommands().isEmpty()) {
      text.append("\nCommands:\n");
      spec.subcommands().forEach(c -> item(text, c.spec().name(), c.spec().summary(), COMMAND_COLUMN));
    }
    if (!spec.arguments().isEmpty()) {
      text.append("\nArguments:\n");
      spec.arguments().forEach(a -> item(text, a.label(), a.description(), COLUMN));
    }
    text.append("\nOptions:\n");
    for (Option option : spec.shownOptions()) {
      String names = String.join(", ", option.names());
      // Long-only options line up with the long names of those that have a short one.
      String shown = (option.names().get(0).startsWith("--") ? "    " : "") + names
          + (option.takesValue() ? " " + option.param() : "");
      item(text, shown, option.description(), COLUMN);
    }
    return text.toString();
  }

  /** "  NAME      description…", the description wrapped under itself. */
  private static void item(StringBuilder text, String name, String description, int column) {
    String head = "  " + name;
    List<String> lines = wrap(description, WIDTH - column);
    if (head.length() > column - 2) {
      text.append(head).append('\n');
    } else {
      text.append(head).append(" ".repeat(column - head.length())).append(lines.isEmpty() ? "" : lines.remove(0)).append('\n');
    }
    lines.forEach(line -> text.append(" ".repeat(column)).append(line).append('\n'));
  }

  /** Words into lines of at most {@code width} columns (a longer word gets a line of its own). */
  static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.trim().split("\\s+")) {
      if (word.isEmpty()) {
        continue;
      }
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
