package thebacknd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A binary cache signing key in Nix's format: the secret key is {@code name:base64(seed ‖ public
 * key)} (libsodium's layout), the public key {@code name:base64(public key)}. Made by real Nix
 * ({@link #generate}) or in Java ({@link #generateInJava}, for thousands of synthetic narinfos);
 * either way {@link #secretKeyFile} works with {@code nix store sign --key-file}.
 */
public record NixKey(String name, String secretKey, String publicKey, Path secretKeyFile) {

  /** {@code nix-store --generate-binary-cache-key NAME …} into {@code dir}. */
  public static NixKey generate(Path dir, String name) {
    Path secret = dir.resolve(name + ".secret");
    Path pub = dir.resolve(name + ".public");
    Nix.run(dir, "nix-store", "--generate-binary-cache-key", name, secret.toString(), pub.toString());
    return new NixKey(name, read(secret), read(pub), secret);
  }

  /** The same format from a random seed, without Nix; the secret key file is written to {@code dir}. */
  public static NixKey generateInJava(Path dir, String name) {
    byte[] seed = new byte[Ed25519PrivateKeyParameters.KEY_SIZE];
    new SecureRandom().nextBytes(seed);
    Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(seed, 0);
    byte[] publicKey = key.generatePublicKey().getEncoded();
    byte[] secret = Arrays.copyOf(seed, seed.length + publicKey.length);
    System.arraycopy(publicKey, 0, secret, seed.length, publicKey.length);
    String secretKey = name + ":" + Base64.getEncoder().encodeToString(secret);
    Path file = dir.resolve(name + ".secret");
    try {
      Files.writeString(file, secretKey, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new NixKey(name, secretKey, name + ":" + Base64.getEncoder().encodeToString(publicKey), file);
  }

  /** A {@code Sig:} value: {@code name:base64(Ed25519 signature of the fingerprint)}. */
  public String sign(String fingerprint) {
    byte[] secret = Base64.getDecoder().decode(secretKey.substring(secretKey.indexOf(':') + 1));
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, new Ed25519PrivateKeyParameters(secret, 0));
    byte[] message = fingerprint.getBytes(StandardCharsets.UTF_8);
    signer.update(message, 0, message.length);
    return name + ":" + Base64.getEncoder().encodeToString(signer.generateSignature());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
