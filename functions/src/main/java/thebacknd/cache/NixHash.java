package thebacknd.cache;

import java.util.Base64;
import java.util.HexFormat;

/**
 * The SHA-256 hashes a narinfo carries (NarHash, FileHash). Nix accepts them as {@code sha256:}
 * followed by base16, Nix base32 or base64, or as SRI {@code sha256-<base64>}, and always signs
 * the Nix base32 form: {@link #toNix} gives that form, whatever the narinfo wrote.
 */
public final class NixHash {

  static final int SHA256_BYTES = 32;
  private static final String PREFIX = "sha256:";
  private static final String SRI_PREFIX = "sha256-";

  private NixHash() {}

  /** The 32 bytes of a SHA-256 written in any form Nix reads; the exception says what is wrong. */
  public static byte[] parseSha256(String text) {
    if (text.startsWith(SRI_PREFIX)) {
      return base64(text.substring(SRI_PREFIX.length()));
    }
    if (!text.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          text.matches("[a-z0-9]+[:-].*")
              ? "only sha256 hashes are supported, got " + text
              : "a hash is sha256:<digest> or sha256-<base64>, got " + text);
    }
    String digest = text.substring(PREFIX.length());
    if (digest.length() == SHA256_BYTES * 2) {
      try {
        return HexFormat.of().parseHex(digest.toLowerCase());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad base16 in hash " + text);
      }
    }
    if (digest.length() == NixBase32.encodedLength(SHA256_BYTES)) {
      try {
        return NixBase32.decode(digest, SHA256_BYTES);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad base32 in hash " + text + ": " + e.getMessage());
      }
    }
    if (digest.length() == 44) {
      return base64(digest);
    }
    throw new IllegalArgumentException("a sha256 digest is 64 (base16), 52 (base32) or 44 (base64) characters, got " + text);
  }

  /** {@code sha256:<Nix base32>}, the form Nix writes and signs. */
  public static String toNix(byte[] sha256) {
    return PREFIX + NixBase32.encode(sha256);
  }

  /** Any accepted form, rewritten as {@code sha256:<Nix base32>}. */
  public static String normalise(String text) {
    return toNix(parseSha256(text));
  }

  private static byte[] base64(String digest) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(digest);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad base64 in hash " + digest);
    }
    if (bytes.length != SHA256_BYTES) {
      throw new IllegalArgumentException("a sha256 digest is 32 bytes, got " + bytes.length);
    }
    return bytes;
  }
}
