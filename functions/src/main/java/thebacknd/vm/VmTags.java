package thebacknd.vm;

import java.util.List;

/** The tag keys of DESIGN §5. {@code thebacknd=true} is what makes an instance ours. */
public final class VmTags {

  public static final String OURS = "thebacknd";
  public static final String OURS_VALUE = "true";
  public static final String NAME = "Name";
  public static final String VM_ID = "thebacknd:vm-id";
  public static final String EXPIRES_AT = "thebacknd:expires-at";
  public static final String TOPLEVEL = "thebacknd:toplevel";
  public static final String BINARY = "thebacknd:binary";
  public static final String PHASE = "thebacknd:phase";
  public static final String PHASE_DETAIL = "thebacknd:phase-detail";
  /** A program's exit code, set by {@code report} (DESIGN §9). */
  public static final String EXIT_CODE = "thebacknd:exit-code";
  /** A program's arguments as a JSON array, set at launch when they fit a tag value (256 characters). */
  public static final String ARGS = "thebacknd:args";
  /** Who created the VM (DESIGN §4 {@code owner}): the caller's IAM ARN, or the local user; set at launch. */
  public static final String OWNER = "thebacknd:owner";
  /** When the VM reported {@code failed}; its deadline then moved to at most THEBACKND_FAILED_KEEP_MINUTES later. */
  public static final String FAILED_AT = "thebacknd:failed-at";
  /** A flake built on the VM ({@code FLAKEREF#ATTR}), set at launch when it fits a tag value. */
  public static final String FLAKE = "thebacknd:flake";
  /** A Nix shell's packages, joined by spaces, set at launch when they fit a tag value. */
  public static final String PACKAGES = "thebacknd:packages";
  public static final int MAX_TAG_VALUE = 256;

  /** States in which a VM still exists; shutting-down and terminated ones are gone. */
  public static final List<String> LIVE_STATES = List.of("pending", "running", "stopping", "stopped");

  private VmTags() {}

  /** Whether {@code value} fits a tag value as it is. */
  public static boolean fits(String value) {
    return value.length() <= MAX_TAG_VALUE;
  }

  /**
   * What a VM says, as text a tag (and EC2's XML answers, and a terminal) can hold: control
   * characters, unpaired surrogates and the non-characters U+FFFE and U+FFFF dropped.
   */
  public static String text(String said) {
    return said.codePoints()
        .filter(c -> !Character.isISOControl(c) && Character.getType(c) != Character.SURROGATE && c != 0xFFFE && c != 0xFFFF)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
  }

  /**
   * {@code text} as a tag value can hold it: control characters dropped, at most {@link
   * #MAX_TAG_VALUE} characters (never cut inside a surrogate pair). The same text always fits the
   * same way, so a value can be compared with one read back.
   */
  public static String fitted(String text) {
    String clean = text.codePoints()
        .filter(c -> !Character.isISOControl(c))
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
    if (clean.length() <= MAX_TAG_VALUE) {
      return clean;
    }
    int end = Character.isHighSurrogate(clean.charAt(MAX_TAG_VALUE - 1)) ? MAX_TAG_VALUE - 1 : MAX_TAG_VALUE;
    return clean.substring(0, end);
  }
}
