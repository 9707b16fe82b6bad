package thebacknd.vm;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The packages of a Nix shell ({@code create}'s {@code nix_packages}): 1 to {@link #MAX_COUNT}
 * attribute paths of the nixpkgs the VM's image is pinned to ({@code python3}, {@code jq},
 * {@code python3Packages.numpy}), each at most {@link #MAX_NAME_LENGTH} characters of letters,
 * digits and {@code _ + -}, names joined by {@code .}, none starting with {@code -}. The VM
 * realises {@code nixpkgs#NAME} for each, so nothing here can name another flake or a file.
 */
public record NixPackages(List<String> names) {

  public static final int MAX_COUNT = 32;
  public static final int MAX_NAME_LENGTH = 128;
  private static final String NAME = "[A-Za-z0-9_+][A-Za-z0-9_+-]*";
  private static final Pattern ATTRIBUTE_PATH = Pattern.compile(NAME + "(\\." + NAME + ")*");

  public NixPackages {
    names = List.copyOf(checked(names));
  }

  /** The packages, checked; the exception's message says in one phrase what is wrong. */
  public static NixPackages parse(List<String> names) {
    return new NixPackages(names);
  }

  /** The {@code thebacknd:packages} tag's text: the names joined by spaces. */
  public String joined() {
    return String.join(" ", names);
  }

  private static List<String> checked(List<String> names) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("it names no package: give 1 to " + MAX_COUNT);
    }
    if (names.size() > MAX_COUNT) {
      throw new IllegalArgumentException("it names " + names.size() + " packages, more than " + MAX_COUNT);
    }
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("package " + (i + 1) + " is empty");
      }
      if (name.length() > MAX_NAME_LENGTH) {
        throw new IllegalArgumentException("package " + (i + 1) + " is longer than " + MAX_NAME_LENGTH + " characters");
      }
      if (!ATTRIBUTE_PATH.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "package " + (i + 1) + " is not a nixpkgs attribute (letters, digits, _ + - in names joined by ., none starting with -)");
      }
    }
    return names;
  }
}
