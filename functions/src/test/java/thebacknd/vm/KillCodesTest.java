package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class KillCodesTest {

  private static final String VM_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

  @Test
  void aKillCodeIsLowercaseHexHmacSha256OfTheVmId() {
    // Same value as: python3 -c "import hmac,hashlib; print(hmac.new(b'test-secret-0123456789abcdef',
    //   b'0f8fad5b-d9cb-469f-a165-70867728950e', hashlib.sha256).hexdigest())"
    KillCodes codes = new KillCodes(() -> List.of("test-secret-0123456789abcdef"));
    assertEquals("5dea7eddeccf83d7e221f6716b9c670f59eeaea9dbe485042a6116d004239fc5", codes.codeFor(VM_ID));
  }

  @Test
  void verificationAcceptsTheCurrentAndThePreviousSecretOnly() {
    KillCodes old = new KillCodes(() -> List.of("old-secret-0123456789"));
    KillCodes rotated = new KillCodes(() -> List.of("new-secret-0123456789", "old-secret-0123456789"));
    KillCodes other = new KillCodes(() -> List.of("another-secret-0123456789"));
    assertTrue(rotated.verify(VM_ID, old.codeFor(VM_ID)));
    assertTrue(rotated.verify(VM_ID, rotated.codeFor(VM_ID)));
    assertFalse(rotated.verify(VM_ID, other.codeFor(VM_ID)));
  }

  @Test
  void aCodeProvesOneVmIdOnly() {
    KillCodes codes = new KillCodes(() -> List.of("test-secret-0123456789abcdef"));
    String code = codes.codeFor(VM_ID);
    assertFalse(codes.verify("1f8fad5b-d9cb-469f-a165-70867728950e", code));
    assertFalse(codes.verify(VM_ID, code.toUpperCase()));
    assertFalse(codes.verify(VM_ID, code.substring(0, 63)));
    assertFalse(codes.verify(VM_ID, ""));
  }
}
