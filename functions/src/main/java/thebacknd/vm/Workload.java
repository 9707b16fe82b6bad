package thebacknd.vm;

import java.util.List;
import java.util.Optional;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;

/**
 * What a VM runs (DESIGN §4): the plain base image, a NixOS toplevel, a program, or (built on the
 * VM, when the deployment allows it) a flake's attribute or a command in a Nix shell.
 */
public sealed interface Workload {

  record BaseImage() implements Workload {}

  record Toplevel(StorePath path) implements Workload {}

  /** A program and its arguments (checked: {@link ProgramArgs}). */
  record Program(BinaryPath path, List<String> args) implements Workload {
    public Program {
      args = ProgramArgs.checked(args);
    }
  }

  /** A flake's attribute the VM fetches and builds, then switches to or runs with {@code args}. */
  record FlakeBuild(FlakeRef flake, List<String> args) implements Workload {
    public FlakeBuild {
      args = ProgramArgs.checked(args);
    }
  }

  /** A command ({@code args[0]}, then its arguments) run with these nixpkgs packages on its PATH. */
  record Shell(NixPackages packages, List<String> args) implements Workload {
    public Shell {
      args = ProgramArgs.checked(args);
      if (args.isEmpty()) {
        throw new IllegalArgumentException("a shell needs a command");
      }
    }
  }

  /** Whether the VM builds or realises what it runs itself, from nothing a signature vouched for. */
  default boolean buildsOnVm() {
    return this instanceof FlakeBuild || this instanceof Shell;
  }

  /** The store path whose closure must be in the cache before launching; none for the base image. */
  default Optional<StorePath> closureRoot() {
    if (this instanceof Toplevel t) {
      return Optional.of(t.path());
    }
    if (this instanceof Program p) {
      return Optional.of(p.path().storePath());
    }
    return Optional.empty();
  }

  default Optional<String> nixToplevel() {
    return this instanceof Toplevel t ? Optional.of(t.path().toString()) : Optional.empty();
  }

  default Optional<String> nixBinary() {
    return this instanceof Program p ? Optional.of(p.path().toString()) : Optional.empty();
  }

  default Optional<FlakeRef> nixFlake() {
    return this instanceof FlakeBuild f ? Optional.of(f.flake()) : Optional.empty();
  }

  default Optional<NixPackages> nixPackages() {
    return this instanceof Shell s ? Optional.of(s.packages()) : Optional.empty();
  }

  /** A program's (or a flake's, or a shell's command's) arguments; none for a toplevel or the base image. */
  default Optional<List<String>> nixArgs() {
    if (this instanceof Program p) {
      return Optional.of(p.args());
    }
    if (this instanceof FlakeBuild f) {
      return Optional.of(f.args());
    }
    if (this instanceof Shell s) {
      return Optional.of(s.args());
    }
    return Optional.empty();
  }
}
