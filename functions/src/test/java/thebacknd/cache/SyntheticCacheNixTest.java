package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Command;
import thebacknd.testing.Moto;
import thebacknd.testing.Nix;
import thebacknd.testing.NixKey;
import thebacknd.testing.SyntheticCache;

/** The benchmark's synthetic caches are ones real Nix accepts, and rejects when tampered with. */
class SyntheticCacheNixTest {

  @TempDir Path dir;

  @BeforeEach
  void emptyMoto() {
    Moto.reset();
  }

  @Test
  void realNixVerifiesASyntheticCacheSignedInJava() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(60, 3, key);
    CacheBucket bucket = CacheBucket.create("synthetic").upload(synthetic.files());

    Command.Result nix = Nix.verify(dir, bucket.httpUrl(), key.publicKey(), synthetic.root().toString());
    ClosureReport ours = ClosureCheck.forCache(CacheLocation.parse(bucket.s3Url()), TrustedKeys.parse(key.publicKey()), Moto.clients()).check(synthetic.root());

    assertEquals(0, nix.exitCode(), nix.stderr());
    assertEquals(60, nix.stderr().lines().filter(l -> l.startsWith("checking '")).count(), "Nix checked the whole closure: " + nix.stderr());
    assertEquals(new ClosureReport(synthetic.root(), 60, List.of(), Optional.empty()), ours);
  }

  @Test
  void realNixRejectsItWithAnotherKey() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    NixKey other = NixKey.generateInJava(dir, "synthetic-2");
    SyntheticCache synthetic = SyntheticCache.generate(10, 4, key);
    CacheBucket bucket = CacheBucket.create("synthetic").upload(synthetic.files());

    Command.Result nix = Nix.verify(dir, bucket.httpUrl(), other.publicKey(), synthetic.root().toString());

    assertTrue(nix.exitCode() != 0 && nix.stderr().contains("is untrusted"), nix.stderr());
  }

  @Test
  void aJavaGeneratedSecretKeyWorksWithNixStoreSign() throws Exception {
    NixKey key = NixKey.generateInJava(dir, "java-made-1");
    NixKey other = NixKey.generateInJava(dir, "java-made-2");
    Path file = Files.writeString(dir.resolve("one.nix"),
        "builtins.derivation { name = \"one\"; salt = \"" + UUID.randomUUID() + "\"; system = builtins.currentSystem;"
            + " builder = \"/bin/sh\"; args = [\"-c\" \"echo 1 > $out\"]; }");
    String path = Nix.run(dir, "nix-build", file.toString(), "--no-out-link").lastLine();

    Nix.run(dir, "nix", "store", "sign", "--key-file", key.secretKeyFile().toString(), path);
    Path cache = dir.resolve("cache");
    Nix.run(dir, "nix", "copy", "--to", "file://" + cache, path);

    // A file:// store is not "ultimately trusted" as the local store is: Nix checks the signature.
    Command.Result trusted = Nix.verify(dir, "file://" + cache, key.publicKey(), path);
    Command.Result untrusted = Nix.verify(dir, "file://" + cache, other.publicKey(), path);
    assertEquals(0, trusted.exitCode(), trusted.stderr());
    assertTrue(untrusted.exitCode() != 0 && untrusted.stderr().contains("is untrusted"), untrusted.stderr());
  }
}
