package thebacknd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import thebacknd.cache.StorePath;

/**
 * Real Nix, offline, making real signed binary caches for tests: tiny derivations built with
 * {@code builtins.derivation} and {@code /bin/sh}, keys from {@code nix-store
 * --generate-binary-cache-key}, {@code nix store sign -r}, {@code nix copy --to file://…}, and the
 * result uploaded to a moto bucket ({@link CacheBucket}).
 *
 * <p>Every {@link #buildTinyClosure} gets fresh store paths (a random salt), because signatures
 * stick to paths in the local Nix store: a test signing with one key must not see another test's.
 */
public final class NixCacheFixture {

  /**
   * top → middle → leaf, top → config, top → leaf; names use {@code + _ .}. top is a directory
   * (a toplevel, for {@code thebacknd run}) holding a program, {@code bin/run}; the others are files.
   */
  public static final String TINY_CLOSURE =
      """
      { salt }:
      let
        mk = name: script: builtins.derivation {
          inherit name salt;
          system = builtins.currentSystem;
          builder = "/bin/sh";
          args = [ "-c" script ];
        };
        leaf = mk "leaf_lib-1.0" "echo leaf > $out";
        middle = mk "middle+tools.2" "echo ${leaf} > $out";
        config = mk "config.d_x" "echo config > $out";
        top = mk "top_system+1.0" ''
          /bin/mkdir -p $out/bin
          echo ${middle} ${config} ${leaf} > $out/references
          printf '#!/bin/sh\\necho hello from the tiny closure\\n' > $out/bin/run
          /bin/chmod +x $out/bin/run
        '';
      in { inherit leaf middle config top; }
      """;

  /** The four store paths of {@link #TINY_CLOSURE}, and the file that built them. */
  public record TinyClosure(Path nixFile, StorePath top, StorePath middle, StorePath config, StorePath leaf) {
    public List<StorePath> paths() {
      return List.of(top, middle, config, leaf);
    }
  }

  private final Path dir;
  private final AtomicInteger counter = new AtomicInteger();

  /** Works in {@code dir} (a test's temporary directory). */
  public NixCacheFixture(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Writes a Nix file whose attributes top, middle, config and leaf are {@link #TINY_CLOSURE} with
   * a fresh salt, without building it: for {@code nix-build FILE -A top} or build-toplevel.sh.
   */
  public Path writeTinyClosure() {
    String salt = UUID.randomUUID().toString();
    return write("closure-" + counter.incrementAndGet() + ".nix", "(" + TINY_CLOSURE + ") { salt = \"" + salt + "\"; }\n");
  }

  public TinyClosure buildTinyClosure() {
    Path file = writeTinyClosure();
    List<String> built =
        Nix.run(dir, "nix-build", file.toString(), "--no-out-link", "-A", "top", "-A", "middle", "-A", "config", "-A", "leaf")
            .stdout().lines().filter(l -> !l.isBlank()).toList();
    if (built.size() != 4) {
      throw new AssertionError("nix-build printed " + built + ", expected 4 store paths");
    }
    return new TinyClosure(file,
        StorePath.parse(built.get(0)), StorePath.parse(built.get(1)),
        StorePath.parse(built.get(2)), StorePath.parse(built.get(3)));
  }

  /** A key made by real Nix; {@code name} must be unique within this fixture. */
  public NixKey key(String name) {
    return NixKey.generate(dir, name);
  }

  /** {@code nix store sign -r}: signs {@code path} and its whole closure in the local store. */
  public void sign(StorePath path, NixKey key) {
    Nix.run(dir, "nix", "store", "sign", "-r", "--key-file", key.secretKeyFile().toString(), path.toString());
  }

  /** {@code nix copy --to file://…?compression=zstd} into a new directory, which it returns. */
  public Path copyToFileCache(StorePath path) {
    Path cache = dir.resolve("cache-" + counter.incrementAndGet());
    Nix.run(dir, "nix", "copy", "--to", "file://" + cache + "?compression=zstd", path.toString());
    return cache;
  }

  /** The whole path for a test: sign the closure with each key, copy it, upload it to a new bucket. */
  public CacheBucket push(StorePath path, String bucket, NixKey... signers) {
    for (NixKey key : signers) {
      sign(path, key);
    }
    return CacheBucket.create(bucket).upload(copyToFileCache(path));
  }

  private Path write(String name, String text) {
    try {
      return Files.writeString(dir.resolve(name), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
