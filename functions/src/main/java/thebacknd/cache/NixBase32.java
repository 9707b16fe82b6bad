package thebacknd.cache;

/**
 * Nix's base32: the alphabet of {@link StorePath#BASE32_ALPHABET}, and bytes taken from the end
 * of the array first (so it is not RFC 4648 base32). Used for NAR hashes in fingerprints.
 */
public final class NixBase32 {

  private static final String ALPHABET = StorePath.BASE32_ALPHABET;

  private NixBase32() {}

  /** How many characters encode {@code byteCount} bytes (52 for a SHA-256). */
  public static int encodedLength(int byteCount) {
    return (byteCount * 8 - 1) / 5 + 1;
  }

  public static String encode(byte[] bytes) {
    int length = encodedLength(bytes.length);
    StringBuilder text = new StringBuilder(length);
    for (int n = length - 1; n >= 0; n--) {
      int bit = n * 5;
      int i = bit / 8;
      int j = bit % 8;
      int low = (bytes[i] & 0xff) >> j;
      int high = i + 1 < bytes.length ? (bytes[i + 1] & 0xff) << (8 - j) : 0;
      text.append(ALPHABET.charAt((low | high) & 0x1f));
    }
    return text.toString();
  }

  /** Decodes exactly {@code byteCount} bytes; the message of the exception says what is wrong. */
  public static byte[] decode(String text, int byteCount) {
    if (text.length() != encodedLength(byteCount)) {
      throw new IllegalArgumentException(
          "Nix base32 for " + byteCount + " bytes is " + encodedLength(byteCount) + " characters, got " + text.length());
    }
    byte[] bytes = new byte[byteCount];
    for (int n = 0; n < text.length(); n++) {
      char c = text.charAt(text.length() - n - 1);
      int digit = ALPHABET.indexOf(c);
      if (digit < 0) {
        throw new IllegalArgumentException("'" + c + "' is not a Nix base32 character");
      }
      int bit = n * 5;
      int i = bit / 8;
      int j = bit % 8;
      bytes[i] |= (byte) (digit << j);
      int carry = digit >> (8 - j);
      if (i + 1 < byteCount) {
        bytes[i + 1] |= (byte) carry;
      } else if (carry != 0) {
        throw new IllegalArgumentException("Nix base32 value does not fit in " + byteCount + " bytes");
      }
    }
    return bytes;
  }
}
