package thebacknd.cli;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import thebacknd.vm.FlakeRef;

/**
 * {@code FLAKEREF#ATTR}, checked before anything is built or launched. Built here, the reference is
 * anything the local Nix takes ({@code .#web}, {@code path:…}, {@code github:…}); built on the VM
 * ({@code run --on-vm}) it must be one the VM can fetch, the service's grammar ({@link FlakeRef}):
 * {@code github:}, {@code gitlab:}, {@code sourcehut:}, {@code git+https://}, {@code git+ssh://},
 * {@code https://} (a tarball), and {@code git+http://} to a loopback host only. Either way: at most 1 KiB, no
 * whitespace or control character, one {@code #} and an attribute path after it.
 */
record FlakeReference(String ref, String attr) {

  static final int MAX_BYTES = 1024;
  /** What a NixOS system's flake attribute names; its toplevel is {@link #TOPLEVEL} under it. */
  static final String SYSTEMS = "nixosConfigurations.";
  static final String TOPLEVEL = ".config.system.build.toplevel";

  private static final Pattern ATTR_PATH = Pattern.compile("[A-Za-z0-9_'+-]+(\\.[A-Za-z0-9_'+-]+)*");
  private static final List<String> ON_THIS_MACHINE = List.of("path:", "file:", "git+file:", ".", "/", "~");

  /**
   * The reference {@code text}, or an {@link IllegalArgumentException} saying in one sentence
   * what is wrong with it.
   */
  static FlakeReference parse(String text, boolean onVm) {
    if (text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new IllegalArgumentException("it is longer than " + MAX_BYTES + " bytes");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c)) {
        throw new IllegalArgumentException("it holds whitespace or a control character");
      }
    }
    int hash = text.indexOf('#');
    if (hash < 0 || text.indexOf('#', hash + 1) >= 0) {
      throw new IllegalArgumentException("a flake reference is FLAKEREF#ATTR, with one #");
    }
    String ref = text.substring(0, hash);
    String attr = text.substring(hash + 1);
    if (ref.isEmpty()) {
      throw new IllegalArgumentException("nothing before the # (for the flake in this directory: .#" + attr + ")");
    }
    if (!ATTR_PATH.matcher(attr).matches()) {
      throw new IllegalArgumentException(attr.isEmpty() ? "no attribute after the #"
          : "'" + attr + "' is not an attribute path (names of letters, digits, _ ' + -, joined by dots)");
    }
    if (onVm) {
      checkFetchableByTheVm(text, ref);
    }
    return new FlakeReference(ref, attr);
  }

  /**
   * The service's own grammar ({@link FlakeRef}: JDK classes only, so the CLI's start-up stays
   * light), after a plainer word for a path on this machine.
   */
  private static void checkFetchableByTheVm(String text, String ref) {
    for (String local : ON_THIS_MACHINE) {
      if (ref.startsWith(local)) {
        throw new IllegalArgumentException(ref + " is on this machine, which the VM cannot fetch from: build it here"
            + " (run without --on-vm), or push it to a Git host the VM can reach");
      }
    }
    FlakeRef.parse(text);
  }

  /**
   * The attribute Nix builds: a NixOS system ({@code nixosConfigurations.NAME}) is its toplevel,
   * {@code nixosConfigurations.NAME.config.system.build.toplevel}; anything else as written.
   */
  String installable() {
    boolean system = attr.startsWith(SYSTEMS) && attr.indexOf('.', SYSTEMS.length()) < 0;
    return ref + "#" + attr + (system ? TOPLEVEL : "");
  }

  /** Whether it names a NixOS system (what runs is a toplevel) rather than a package (a program). */
  boolean isSystem() {
    return attr.startsWith(SYSTEMS);
  }

  @Override
  public String toString() {
    return ref + "#" + attr;
  }
}
