package thebacknd.vm;

import java.util.List;
import java.util.Optional;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;

/** What a VM runs (DESIGN §4): the plain base image, a NixOS toplevel, or a program. */
public sealed interface Workload {

  record BaseImage() implements Workload {}

  record Toplevel(StorePath path) implements Workload {}

  /** A program and its arguments (checked: {@link ProgramArgs}). */
  record Program(BinaryPath path, List<String> args) implements Workload {
    public Program {
      args = ProgramArgs.checked(args);
    }
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

  /** A program's arguments; none for a toplevel or the base image. */
  default Optional<List<String>> nixArgs() {
    return this instanceof Program p ? Optional.of(p.args()) : Optional.empty();
  }
}
