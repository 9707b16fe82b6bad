package thebacknd.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the real Nix CLI offline: no substituter (nothing dials a public cache), signatures
 * required, the {@code nix-command} feature on, and a private narinfo disk cache so one run's
 * answers never leak into the next.
 */
public final class Nix {

  public static final String CONFIG =
      "substituters =\nexperimental-features = nix-command\nrequire-sigs = true\nsandbox = false\n";

  private Nix() {}

  /** The environment Nix runs in; {@code cacheHome} holds its narinfo disk cache. */
  public static Map<String, String> env(Path cacheHome) {
    Map<String, String> env = new HashMap<>();
    env.put("NIX_CONFIG", CONFIG);
    env.put("XDG_CACHE_HOME", cacheHome.toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("AWS_REGION", "us-east-1");
    return env;
  }

  /** Runs {@code nix …} (or nix-build, nix-store) in {@code dir}; fails the test when it fails. */
  public static Command.Result run(Path dir, String... command) {
    return Command.run(List.of(command), env(dir.resolve(".nix-cache")), dir, Command.DEFAULT_TIMEOUT).requireSuccess();
  }

  /**
   * Whether real Nix finds {@code path} and its closure in the binary cache {@code store} (e.g. a
   * moto bucket over HTTP) and trusted by {@code trustedKeys} alone: {@code nix store verify
   * --store STORE -r --no-contents}, exit status 0. A fresh narinfo disk cache each time.
   */
  public static Command.Result verify(Path dir, String store, String trustedKeys, String path) {
    List<String> command = List.of(
        "nix", "store", "verify", "--store", store, "-r", "--no-contents",
        "--option", "trusted-public-keys", trustedKeys, path);
    return Command.run(command, env(dir.resolve(".nix-cache-" + System.nanoTime())), dir, Command.DEFAULT_TIMEOUT);
  }
}
