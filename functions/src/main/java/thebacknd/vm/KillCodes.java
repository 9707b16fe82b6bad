package thebacknd.vm;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import thebacknd.Failure;

/**
 * Kill codes: lowercase hex of HMAC-SHA256(secret, vm_id). A VM proves who it is with its code;
 * verification compares in constant time and also accepts the previous secret, so a key can be
 * rotated without stranding running VMs. A code no key matches makes {@link Secrets} re-read the
 * keys (rate-limited) and is checked once more, so a rotation does not wait for the cache.
 */
public final class KillCodes {

  private static final Pattern VM_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private final Supplier<List<String>> secrets;
  private final BooleanSupplier refreshAfterMismatch;

  /** {@code secrets}: the current secret first, then older ones still accepted. */
  public KillCodes(Supplier<List<String>> secrets) {
    this.secrets = secrets;
    this.refreshAfterMismatch = () -> false;
  }

  /** Keys that can be re-read when a code matches none of them. */
  public KillCodes(Secrets secrets) {
    this.secrets = secrets;
    this.refreshAfterMismatch = secrets::refreshAfterMismatch;
  }

  public String codeFor(String vmId) {
    return hmacHex(secrets.get().get(0), vmId);
  }

  public boolean verify(String vmId, String code) {
    return matchesAny(secrets.get(), vmId, code) || refreshAfterMismatch.getAsBoolean() && matchesAny(secrets.get(), vmId, code);
  }

  private static boolean matchesAny(List<String> keys, String vmId, String code) {
    byte[] given = code.getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    // Every key is tried, whatever matched before, so timing says nothing about which one did.
    for (String secret : keys) {
      byte[] expected = hmacHex(secret, vmId).getBytes(StandardCharsets.UTF_8);
      match |= MessageDigest.isEqual(expected, given);
    }
    return match;
  }

  /**
   * What every call from a VM checks first, before it reads or changes anything: a well-formed
   * vm_id (400) whose kill code matches (403, "nothing was changed").
   */
  public void require(String vmId, String code) {
    requireVmId(vmId);
    if (!verify(vmId, code)) {
      throw new Failure(
          Failure.Kind.FORBIDDEN, "bad_kill_code", "The kill code does not match this vm_id; nothing was changed.");
    }
  }

  /** A vm_id is a lowercase UUID (400 otherwise). */
  public static void requireVmId(String vmId) {
    if (!VM_ID.matcher(vmId).matches()) {
      throw Failure.badRequest("invalid_vm_id", "vm_id must be a lowercase UUID.");
    }
  }

  private static String hmacHex(String secret, String vmId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(vmId.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
