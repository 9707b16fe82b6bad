package thebacknd.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import thebacknd.cache.NixHash;
import thebacknd.cache.StorePath;

/**
 * A signed binary cache of {@code size} narinfos with a random reference graph in which every path
 * is in the closure of {@link #root}: path {@code i > 0} is referenced by a random earlier path,
 * plus a few more random earlier ones. Narinfos are written as Nix writes them and signed in Java
 * with a key in Nix's format (real Nix accepts them: see SyntheticCacheNixTest). There are no NARs:
 * a closure check never reads them. The fingerprint is spelled out here, not taken from the code
 * under test.
 *
 * @param files file name → text, {@code nix-cache-info} included, ready for {@link CacheBucket#upload(Map)}
 */
public record SyntheticCache(StorePath root, List<StorePath> paths, Map<String, String> files) {

  private static final int MAX_EXTRA_REFERENCES = 5;

  public static SyntheticCache generate(int size, long seed, NixKey key) {
    Random random = new Random(seed);
    List<StorePath> paths = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      paths.add(new StorePath(randomHash(random), "synthetic-" + i + "_pkg+" + (i % 7) + ".0"));
    }
    List<TreeSet<Integer>> references = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      references.add(new TreeSet<>());
    }
    for (int i = 1; i < size; i++) {
      references.get(random.nextInt(i)).add(i);
      int extra = random.nextInt(MAX_EXTRA_REFERENCES + 1);
      for (int e = 0; e < extra; e++) {
        references.get(random.nextInt(i)).add(i);
      }
    }
    Map<String, String> files = new LinkedHashMap<>();
    files.put("nix-cache-info", "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n");
    for (int i = 0; i < size; i++) {
      List<StorePath> refs = references.get(i).stream().map(paths::get).toList();
      files.put(paths.get(i).narinfoName(), narinfo(paths.get(i), 1000L + i, refs, key));
    }
    return new SyntheticCache(paths.get(0), List.copyOf(paths), files);
  }

  /** A narinfo as {@code nix copy} writes one, signed by {@code key}. */
  public static String narinfo(StorePath path, long narSize, List<StorePath> references, NixKey key) {
    String narHash = NixHash.toNix(sha256(path.toString()));
    List<String> sorted = references.stream().map(StorePath::baseName).sorted().toList();
    String fingerprint =
        "1;" + path + ";" + narHash + ";" + narSize + ";"
            + sorted.stream().map(b -> StorePath.STORE_DIR + b).collect(Collectors.joining(","));
    String fileHash = NixHash.toNix(sha256("file " + path));
    return "StorePath: " + path + "\n"
        + "URL: nar/" + fileHash.substring("sha256:".length()) + ".nar.zst\n"
        + "Compression: zstd\n"
        + "FileHash: " + fileHash + "\n"
        + "FileSize: " + (narSize / 2) + "\n"
        + "NarHash: " + narHash + "\n"
        + "NarSize: " + narSize + "\n"
        + "References: " + String.join(" ", sorted) + "\n"
        + "Deriver: " + path.hashPart() + "-" + path.name() + ".drv\n"
        + "Sig: " + key.sign(fingerprint) + "\n";
  }

  private static String randomHash(Random random) {
    StringBuilder hash = new StringBuilder();
    for (int i = 0; i < 32; i++) {
      hash.append(StorePath.BASE32_ALPHABET.charAt(random.nextInt(32)));
    }
    return hash.toString();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
