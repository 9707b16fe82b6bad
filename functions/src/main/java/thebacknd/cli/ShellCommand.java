package thebacknd.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;

/**
 * {@code thebacknd shell PKG… [--] COMMAND [ARGS…]}: a VM that realises nixpkgs packages (from the
 * nixpkgs its image is pinned to) and runs COMMAND with them on PATH; its output and exit code
 * come back as {@code run PROGRAM --wait}'s do.
 */
final class ShellCommand implements Command {

  static final int MAX_PACKAGES = 32;
  /** A nixpkgs attribute (python3, python3Packages.numpy): names of [A-Za-z0-9_+-], joined by dots. */
  private static final Pattern PACKAGE = Pattern.compile("[A-Za-z0-9_+-]+(\\.[A-Za-z0-9_+-]+)*");

  static final Spec SPEC = Spec.of("shell", "Run a command on a VM with nixpkgs packages on its PATH.")
      .description(
          "Create a VM that realises the packages PKG… from the nixpkgs its base image is pinned to (the "
              + "image's flake registry entry nixpkgs, so nothing drifts), runs COMMAND [ARGS…] with their "
              + "bin directories on PATH, prints its output on stdout as it comes and exits with its exit "
              + "code (125 when thebacknd or the VM failed before it finished). The VM then destroys itself. "
              + "The service must allow VM builds.",
          "The packages are the words before --, the command the words after it; without --, the first "
              + "word is the one package and the rest is the command. A package is a nixpkgs attribute "
              + "(python3, python3Packages.numpy), 1 to " + MAX_PACKAGES + " of them.",
          "  thebacknd shell python3 jq -- python3 -c 'print(1)'",
          "  thebacknd shell cowsay cowsay hello")
      .arguments(Argument.any("PKG... [--] COMMAND [ARGS]", "The packages, then the command and its arguments."))
      .options(Option.flag("--no-wait", "Only create the VM (print it and exit); follow it with thebacknd logs NAME -f."))
      .options(RunCommand.LAUNCH_OPTIONS)
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws Exception {
    List<String> words = in.positionals();
    int split = in.beforeDashes() < words.size() ? in.beforeDashes() : Math.min(1, words.size());
    List<String> packages = words.subList(0, split);
    List<String> command = words.subList(split, words.size());
    if (packages.isEmpty()) {
      throw in.usage("at least one package is required (PKG… -- COMMAND)");
    }
    if (packages.size() > MAX_PACKAGES) {
      throw in.usage("at most " + MAX_PACKAGES + " packages, got " + packages.size());
    }
    for (String name : packages) {
      if (!PACKAGE.matcher(name).matches()) {
        throw in.usage("invalid package " + Render.safe(name) + ": a nixpkgs attribute is names of letters, digits, _ + -,"
            + " joined by dots; nothing was launched");
      }
    }
    if (command.isEmpty()) {
      throw in.usage("a COMMAND to run is required (PKG… -- COMMAND [ARGS…])");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("nix_packages", List.copyOf(packages));
    body.put("args", List.copyOf(command));
    return new RunCommand.Run(in, !in.flag("--no-wait")).launch(body, true);
  }
}
