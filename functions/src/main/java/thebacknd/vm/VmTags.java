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
  public static final int MAX_TAG_VALUE = 256;

  /** States in which a VM still exists; shutting-down and terminated ones are gone. */
  public static final List<String> LIVE_STATES = List.of("pending", "running", "stopping", "stopped");

  private VmTags() {}
}
