package thebacknd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;
import thebacknd.config.ConfigException;

/**
 * {@code run}'s PATH [ARGS] read into the workload of a create body: a store path as it is,
 * FLAKEREF#ATTR or -A's FILE built here first (build-toplevel.sh), or with --on-vm a flake the
 * VM builds. {@link #body} holds nix_toplevel, nix_binary or nix_flake (and args);
 * {@link #program} says whether it is a program, to follow to its exit code.
 */
final class RunWorkload {

  private final Invocation in;
  private final String attr;
  private final boolean binary;
  private final boolean onVm;
  /** PATH (or -A's FILE), and a program's arguments. */
  private String path;
  private List<String> args = List.of();

  private final Map<String, Object> body = new LinkedHashMap<>();
  private boolean program;

  private RunWorkload(Invocation in) {
    this.in = in;
    this.attr = in.value("--attr");
    this.binary = in.flag("--binary");
    this.onVm = in.flag("--on-vm");
  }

  /** Reads (and, for -A or a flake built here, builds) what {@code in}'s PATH names. */
  static RunWorkload read(Invocation in) throws IOException, InterruptedException {
    RunWorkload workload = new RunWorkload(in);
    workload.read();
    return workload;
  }

  /** The create body with the workload in it (the launch options are added to it). */
  Map<String, Object> body() {
    return body;
  }

  boolean program() {
    return program;
  }

  private void read() throws IOException, InterruptedException {
    splitPositionals();
    String target;
    if (attr != null) {
      if (onVm) {
        throw in.usage("--on-vm builds a FLAKEREF#ATTR on the VM; -A builds here");
      }
      target = build(List.of("-A", attr), path);
    } else if (path == null) {
      if (onVm) {
        throw in.usage("--on-vm needs a FLAKEREF#ATTR");
      }
      target = null;
    } else if (RunTarget.of(path) instanceof RunTarget.Flake flake) {
      FlakeReference reference = flakeReference(flake.reference());
      if (onVm) {
        body.put("nix_flake", reference.isSystem() ? reference.installable() : reference.toString());
        if (!args.isEmpty()) {
          body.put("args", args);
        }
        program = !reference.isSystem();
        return;
      }
      target = build(List.of("--flake", reference.toString()), null);
    } else {
      if (onVm) {
        throw in.usage("--on-vm builds a FLAKEREF#ATTR on the VM; " + path + " is not one (a flake reference has a #)");
      }
      target = StoreLinks.resolve(path);
    }
    program = target != null && isBinary(target);
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
  }

  private FlakeReference flakeReference(String text) {
    try {
      return FlakeReference.parse(text, onVm);
    } catch (IllegalArgumentException e) {
      throw in.usage("invalid flake reference " + Render.safe(text) + ": " + e.getMessage() + "; nothing was launched");
    }
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
    String valid;
    try {
      valid = isBinary(target) ? BinaryPath.parse(target).toString() : StorePath.parse(target).toString();
    } catch (IllegalArgumentException e) {
      throw in.usage("invalid PATH " + target + ": " + e.getMessage());
    }
    if (isBinary(target)) {
      checkProgramHere(BinaryPath.parse(valid));
    }
    return valid;
  }

  /**
   * When this machine has the store path, a program missing from it (or not executable) cannot
   * run on the VM either: said now, and nothing is launched. Otherwise the VM's agent checks it.
   */
  private void checkProgramHere(BinaryPath program) {
    Path store = Path.of(program.storePath().toString());
    Path file = Path.of(program.toString());
    if (Files.isDirectory(store) && !(Files.isRegularFile(file) && Files.isExecutable(file))) {
      throw new CliException(Main.USAGE, "no such program " + program + (Files.exists(file) ? " (it is not an executable file)" : "")
          + ": " + store + " is on this machine and does not hold it; nothing was launched");
    }
  }

  /**
   * Runs build-toplevel.sh with {@code options} ({@code -A ATTR}, {@code --flake REF#ATTR}) and
   * {@code file} (or none); its last line of output is what to run: the store path it pushed, or
   * the program in it.
   */
  private String build(List<String> options, String file) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(scriptsDir().resolve("build-toplevel.sh").toString());
    command.addAll(options);
    if (file != null) {
      command.add(file);
    }
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
}
