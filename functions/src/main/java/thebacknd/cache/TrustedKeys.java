package thebacknd.cache;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The Ed25519 public keys of {@code NIX_TRUSTED_KEY}: {@code name:base64} entries separated by
 * spaces, in Nix's {@code trusted-public-keys} format. A narinfo is trusted when any one of its
 * {@code Sig: name:base64} lines verifies, over its {@link NarInfo#fingerprint}, with a trusted key
 * of that name. BouncyCastle's lightweight API does the verifying: no JCA provider is registered.
 */
public final class TrustedKeys {

  private static final int PUBLIC_KEY_BYTES = Ed25519PublicKeyParameters.KEY_SIZE;
  private static final int SIGNATURE_BYTES = Ed25519PublicKeyParameters.KEY_SIZE * 2;

  private final Map<String, List<Ed25519PublicKeyParameters>> keysByName;
  private final String text;

  private TrustedKeys(Map<String, List<Ed25519PublicKeyParameters>> keysByName, String text) {
    this.keysByName = keysByName;
    this.text = text;
  }

  /** What {@link #verify} found. */
  public sealed interface Verdict {}

  /** Signed by the trusted key named {@code keyName}. */
  public record Signed(String keyName) implements Verdict {}

  /** Not signed by any trusted key; {@code reason} says what the narinfo has instead. */
  public record Unsigned(String reason) implements Verdict {}

  private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9._-]+");

  /** Parses {@code name:base64 [name:base64 …]}; the message of the exception says what is wrong. */
  public static TrustedKeys parse(String text) {
    Map<String, List<Ed25519PublicKeyParameters>> byName = new LinkedHashMap<>();
    List<String> entries = new ArrayList<>();
    for (String entry : text.trim().split("\\s+")) {
      if (entry.isEmpty()) {
        continue;
      }
      entries.add(entry);
      int colon = entry.indexOf(':');
      if (colon <= 0 || colon == entry.length() - 1) {
        throw new IllegalArgumentException("a trusted key is name:base64, got '" + entry + "'");
      }
      // The VM agent accepts these names only; refusing others here keeps a VM from failing later.
      if (!KEY_NAME.matcher(entry.substring(0, colon)).matches()) {
        throw new IllegalArgumentException("a key name is letters, digits, '.', '_' and '-', got '" + entry.substring(0, colon) + "'");
      }
      byte[] key;
      try {
        key = Base64.getDecoder().decode(entry.substring(colon + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the key '" + entry + "' is not valid base64");
      }
      if (key.length != PUBLIC_KEY_BYTES) {
        throw new IllegalArgumentException(
            "an Ed25519 public key is " + PUBLIC_KEY_BYTES + " bytes, '" + entry + "' has " + key.length
                + (key.length == 64 ? " (is it the secret key?)" : ""));
      }
      if (!Base64.getEncoder().encodeToString(key).equals(entry.substring(colon + 1))) {
        throw new IllegalArgumentException("the key '" + entry + "' is not in canonical base64 (43 characters and '=')");
      }
      Ed25519PublicKeyParameters publicKey;
      try {
        publicKey = new Ed25519PublicKeyParameters(key, 0);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the key '" + entry + "' is not a valid Ed25519 public key");
      }
      byName.computeIfAbsent(entry.substring(0, colon), n -> new ArrayList<>()).add(publicKey);
    }
    if (byName.isEmpty()) {
      throw new IllegalArgumentException("at least one trusted key is required");
    }
    return new TrustedKeys(byName, String.join(" ", entries));
  }

  /** The keys in Nix's format, one space between them: what user-data carries and the agent reads. */
  public String text() {
    return text;
  }

  public List<String> names() {
    return List.copyOf(keysByName.keySet());
  }

  /** Whether any Sig line of the narinfo verifies with a trusted key of the name it carries. */
  public Verdict verify(NarInfo info) {
    if (info.sigs().isEmpty()) {
      return new Unsigned("no signature");
    }
    byte[] fingerprint = info.fingerprint().getBytes(StandardCharsets.UTF_8);
    Set<String> mismatched = new LinkedHashSet<>();
    Set<String> untrusted = new LinkedHashSet<>();
    for (String sig : info.sigs()) {
      int colon = sig.indexOf(':');
      String name = colon > 0 ? sig.substring(0, colon) : sig;
      List<Ed25519PublicKeyParameters> keys = keysByName.get(name);
      if (keys == null) {
        untrusted.add(name);
        continue;
      }
      byte[] signature = signatureBytes(sig.substring(colon + 1));
      for (Ed25519PublicKeyParameters key : keys) {
        if (signature != null && verifies(key, fingerprint, signature)) {
          return new Signed(name);
        }
      }
      mismatched.add(name);
    }
    if (!mismatched.isEmpty()) {
      return new Unsigned(
          "the signature by " + String.join(", ", mismatched) + " does not match this narinfo (edited after signing?)");
    }
    return new Unsigned("signed only by untrusted keys (" + String.join(", ", untrusted) + ")");
  }

  private static byte[] signatureBytes(String base64) {
    try {
      byte[] bytes = Base64.getDecoder().decode(base64);
      return bytes.length == SIGNATURE_BYTES ? bytes : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean verifies(Ed25519PublicKeyParameters key, byte[] message, byte[] signature) {
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, key);
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }
}
