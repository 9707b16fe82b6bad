package thebacknd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
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
   * top → middle → leaf, top → config, top → leaf, top → agent; names use {@code + _ .}. top is a
   * directory (a toplevel, for {@code thebacknd run}) holding a program, {@code bin/run}; the
   * others are files. agent is named like the agent's package, which every toplevel must hold
   * (DESIGN §10); with {@code withAgent = false}, top does not refer to it.
   */
  public static final String TINY_CLOSURE =
      """
      { salt, withAgent ? true }:
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
        agent = mk "thebacknd-agent" "echo agent > $out";
        top = mk "top_system+1.0" ''
          /bin/mkdir -p $out/bin
          echo ${middle} ${config} ${leaf} ${if withAgent then agent else ""} > $out/references
          printf '#!/bin/sh\\necho hello from the tiny closure\\n' > $out/bin/run
          /bin/chmod +x $out/bin/run
        '';
      in { inherit leaf middle config agent top; }
      """;

  /** The store paths of {@link #TINY_CLOSURE}, and the file that built them; no agent when built without. */
  public record TinyClosure(Path nixFile, StorePath top, StorePath middle, StorePath config, StorePath leaf, Optional<StorePath> agent) {
    public List<StorePath> paths() {
      return Stream.concat(Stream.of(top, middle, config, leaf), agent.stream()).toList();
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
   * Writes a Nix file whose attributes top, middle, config, leaf and agent are {@link #TINY_CLOSURE}
   * with a fresh salt, without building it: for {@code nix-build FILE -A top} or build-toplevel.sh.
   */
  public Path writeTinyClosure() {
    return writeTinyClosure(true);
  }

  private Path writeTinyClosure(boolean withAgent) {
    String salt = UUID.randomUUID().toString();
    return write("closure-" + counter.incrementAndGet() + ".nix",
        "(" + TINY_CLOSURE + ") { salt = \"" + salt + "\"; withAgent = " + withAgent + "; }\n");
  }

  /** A tiny toplevel whose closure holds the agent's package: five paths. */
  public TinyClosure buildTinyClosure() {
    return build(writeTinyClosure(true), true);
  }

  /** The same without the agent's package: four paths, a toplevel {@code create} refuses (DESIGN §10). */
  public TinyClosure buildTinyClosureWithoutAgent() {
    return build(writeTinyClosure(false), false);
  }

  private TinyClosure build(Path file, boolean withAgent) {
    List<String> attributes = new ArrayList<>(List.of("top", "middle", "config", "leaf"));
    if (withAgent) {
      attributes.add("agent");
    }
    List<String> command = new ArrayList<>(List.of("nix-build", file.toString(), "--no-out-link"));
    attributes.forEach(a -> command.addAll(List.of("-A", a)));
    List<StorePath> built =
        Nix.run(dir, command.toArray(String[]::new)).stdout().lines().filter(l -> !l.isBlank()).map(StorePath::parse).toList();
    if (built.size() != attributes.size()) {
      throw new AssertionError("nix-build printed " + built + ", expected " + attributes.size() + " store paths");
    }
    return new TinyClosure(file, built.get(0), built.get(1), built.get(2), built.get(3),
        withAgent ? Optional.of(built.get(4)) : Optional.empty());
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
