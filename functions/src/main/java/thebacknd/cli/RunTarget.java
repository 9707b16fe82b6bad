package thebacknd.cli;

/**
 * How {@code run} reads its PATH word, without guessing: a word that starts with
 * {@code /nix/store/}, or that leads into the store through a symlink ({@code ./result},
 * {@code result/bin/hello}), is a store path; else a word with a {@code #} is a flake reference;
 * else it is taken as a store path, which the store path parser then refuses, saying why.
 * ({@code -A ATTR FILE}'s word is a file, never read here.)
 */
sealed interface RunTarget {

  /** A store path (a toplevel, or a program inside one), symlinks resolved. */
  record StorePathWord(String path) implements RunTarget {}

  /** {@code FLAKEREF#ATTR}, as typed. */
  record Flake(String reference) implements RunTarget {}

  static RunTarget of(String word) {
    String resolved = StoreLinks.resolve(word);
    if (resolved.startsWith("/nix/store/") || word.indexOf('#') < 0) {
      return new StorePathWord(resolved);
    }
    return new Flake(word);
  }
}
