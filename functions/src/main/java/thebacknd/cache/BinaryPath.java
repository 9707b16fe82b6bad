package thebacknd.cache;

import java.util.regex.Pattern;

/**
 * A program to run: a store path, optionally followed by a normalised path inside it (no empty,
 * {@code .} or {@code ..} components, no trailing slash), e.g. {@code /nix/store/…-hello/bin/hello}.
 */
public record BinaryPath(StorePath storePath, String inside) {

  /** Longest binary path we accept: it must fit in one EC2 tag value. */
  public static final int MAX_LENGTH = 255;

  private static final Pattern COMPONENT = Pattern.compile("[A-Za-z0-9+\\-._?=@]+");

  public BinaryPath {
    if (storePath == null || inside == null) {
      throw new IllegalArgumentException("a binary path needs a store path and a (possibly empty) path inside it");
    }
    if (!inside.isEmpty()) {
      for (String component : inside.split("/", -1)) {
        if (component.isEmpty() || component.equals(".") || component.equals("..")) {
          throw new IllegalArgumentException(
              "a binary path must be normalised: no empty, '.' or '..' components");
        }
        if (!COMPONENT.matcher(component).matches()) {
          throw new IllegalArgumentException(
              "a binary path may only contain letters, digits and + - . _ ? = @ between slashes");
        }
      }
    }
    int length = storePath.toString().length() + (inside.isEmpty() ? 0 : 1 + inside.length());
    if (length > MAX_LENGTH) {
      throw new IllegalArgumentException("a binary path is at most " + MAX_LENGTH + " characters");
    }
  }

  public static BinaryPath parse(String path) {
    if (path == null) {
      throw new IllegalArgumentException("a binary path is required");
    }
    if (!path.startsWith(StorePath.STORE_DIR)) {
      throw new IllegalArgumentException("a binary path must start with " + StorePath.STORE_DIR);
    }
    int slash = path.indexOf('/', StorePath.STORE_DIR.length());
    if (slash < 0) {
      return new BinaryPath(StorePath.parse(path), "");
    }
    if (slash == path.length() - 1) {
      throw new IllegalArgumentException("a binary path must not end with '/'");
    }
    return new BinaryPath(StorePath.parse(path.substring(0, slash)), path.substring(slash + 1));
  }

  @Override
  public String toString() {
    return inside.isEmpty() ? storePath.toString() : storePath + "/" + inside;
  }
}
