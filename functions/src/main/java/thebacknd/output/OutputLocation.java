package thebacknd.output;

import java.util.regex.Pattern;

/**
 * Where output is kept: {@code THEBACKND_OUTPUT_BUCKET}, a bucket or {@code bucket/prefix}
 * (DESIGN §3). Each VM's objects live under {@code [prefix/]<vm_id>/}.
 *
 * @param prefix without leading or trailing slashes; empty for the bucket's root
 */
public record OutputLocation(String bucket, String prefix) {

  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9!_.*'()/-]*");

  public OutputLocation {
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name");
    }
    if (!PREFIX.matcher(prefix).matches() || prefix.contains("//")) {
      throw new IllegalArgumentException("'" + prefix + "' is not a key prefix (letters, digits, ! _ . * ' ( ) - and single slashes)");
    }
  }

  /** {@code bucket} or {@code bucket/prefix[/…]}; slashes around the prefix are dropped. */
  public static OutputLocation parse(String text) {
    String trimmed = text.trim();
    if (trimmed.startsWith("s3://")) {
      throw new IllegalArgumentException("give the bucket name (and /prefix), not an s3:// URL");
    }
    int slash = trimmed.indexOf('/');
    if (slash < 0) {
      return new OutputLocation(trimmed, "");
    }
    return new OutputLocation(trimmed.substring(0, slash), trimmed.substring(slash + 1).replaceAll("^/+|/+$", ""));
  }

  /** The key of {@code name} among this VM's objects. */
  String key(String vmId, String name) {
    return vmPrefix(vmId) + name;
  }

  /** {@code [prefix/]names/<name>}: which vm_id a name was last given to. */
  String nameKey(String name) {
    return (prefix.isEmpty() ? "" : prefix + "/") + OutputStore.NAMES + name;
  }

  /** {@code [prefix/]<vm_id>/}: everything kept for one VM starts with this. */
  String vmPrefix(String vmId) {
    return (prefix.isEmpty() ? "" : prefix + "/") + vmId + "/";
  }

  @Override
  public String toString() {
    return prefix.isEmpty() ? bucket : bucket + "/" + prefix;
  }
}
