package thebacknd.cache;

import java.util.regex.Pattern;

/**
 * A Nix store path, validated strictly before anything else happens with it: {@code /nix/store/},
 * 32 characters of Nix base32 (no e, o, u, t), {@code -}, then a name of at most 211 allowed
 * characters (letters, digits, {@code +-._?=}) that does not start with a dot.
 */
public record StorePath(String hashPart, String name) {

  public static final String STORE_DIR = "/nix/store/";
  public static final String BASE32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
  static final int HASH_LENGTH = 32;
  static final int MAX_NAME_LENGTH = 211;

  private static final Pattern HASH = Pattern.compile("[" + BASE32_ALPHABET + "]{32}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9+\\-._?=]+");

  public StorePath {
    String reason = problemWith(hashPart, name);
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
  }

  /** Parses {@code /nix/store/<hash>-<name>}; the message of the exception says what is wrong. */
  public static StorePath parse(String path) {
    if (path == null) {
      throw new IllegalArgumentException("a store path is required");
    }
    if (!path.startsWith(STORE_DIR)) {
      throw new IllegalArgumentException("a store path must start with " + STORE_DIR);
    }
    String base = path.substring(STORE_DIR.length());
    if (base.length() < HASH_LENGTH + 2 || base.charAt(HASH_LENGTH) != '-') {
      throw new IllegalArgumentException(
          "a store path is " + STORE_DIR + " + 32 base32 characters + '-' + a name");
    }
    return new StorePath(base.substring(0, HASH_LENGTH), base.substring(HASH_LENGTH + 1));
  }

  /** Parses the base name {@code <hash>-<name>}, as narinfo References list them. */
  public static StorePath parseBaseName(String baseName) {
    return parse(STORE_DIR + baseName);
  }

  public String baseName() {
    return hashPart + "-" + name;
  }

  /** The narinfo file name of this path in a binary cache. */
  public String narinfoName() {
    return hashPart + ".narinfo";
  }

  @Override
  public String toString() {
    return STORE_DIR + baseName();
  }

  private static String problemWith(String hashPart, String name) {
    if (hashPart == null || !HASH.matcher(hashPart).matches()) {
      return "the hash part of a store path is 32 characters of Nix base32 (0-9, a-z without e, o, u, t)";
    }
    if (name == null || name.isEmpty()) {
      return "a store path needs a name after the hash";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "a store path name is at most " + MAX_NAME_LENGTH + " characters";
    }
    if (name.startsWith(".")) {
      return "a store path name must not start with '.'";
    }
    if (!NAME.matcher(name).matches()) {
      return "a store path name may only contain letters, digits and + - . _ ? =";
    }
    return null;
  }
}
