package thebacknd.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import thebacknd.cache.StorePath;

/**
 * What a developer types for a store path: {@code ./result} (the symlink nix-build leaves),
 * {@code result/bin/hello}, or the store path itself.
 */
final class StoreLinks {

  private static final Path STORE = Path.of(StorePath.STORE_DIR);

  private StoreLinks() {}

  /**
   * The store path a symlink on the way points to, with the rest of the path after it
   * ({@code ./result/bin/hello} → {@code /nix/store/…-hello/bin/hello}); {@code path} itself when
   * it already is in the store or no symlink on the way leads there (the parser then says why).
   */
  static String resolve(String path) {
    if (path.startsWith(StorePath.STORE_DIR)) {
      return path;
    }
    Path absolute = Path.of(path).toAbsolutePath().normalize();
    for (int n = 1; n <= absolute.getNameCount(); n++) {
      Path prefix = absolute.getRoot().resolve(absolute.subpath(0, n));
      if (!Files.isSymbolicLink(prefix)) {
        continue;
      }
      Path real;
      try {
        real = prefix.toRealPath();
      } catch (IOException dangling) {
        return path;
      }
      if (real.startsWith(STORE) && real.getNameCount() == STORE.getNameCount() + 1) {
        return n == absolute.getNameCount() ? real.toString() : real.resolve(absolute.subpath(n, absolute.getNameCount())).toString();
      }
    }
    return path;
  }
}
