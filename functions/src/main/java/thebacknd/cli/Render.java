package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Human output: a table of VMs and one-line summaries. {@code --json} bypasses all of this. */
final class Render {

  private static final String[] HEADER = {"NAME", "STATE", "PHASE", "EXIT", "TYPE", "EXPIRES", "OWNER", "PUBLIC IP", "RUNS"};

  private Render() {}

  static void table(PrintWriter out, JsonValue vms, Instant now) {
    if (vms.isEmpty()) {
      out.println("No live VMs.");
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    for (JsonValue vm : vms) {
      rows.add(
          new String[] {
            text(vm, "name"),
            text(vm, "state"),
            text(vm, "phase"),
            text(vm, "exit_code"),
            text(vm, "instance_type") + ("spot".equals(vm.path("lifecycle").asText()) ? " (spot)" : ""),
            // Why destroy-old will take it: "expired", or "unresponsive" (its agent never reported).
            vm.hasNonNull("destroy_reason") ? vm.path("destroy_reason").asText() : expiry(vm, now),
            owner(vm),
            vm.path("public_ips").get(0).asText("-"),
            runs(vm)
          });
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder line = new StringBuilder();
    for (String[] row : rows) {
      line.setLength(0);
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]);
        if (i < row.length - 1) {
          line.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** "thebacknd-3 (i-0abc…, running, expires in 59m)" */
  static String summary(JsonValue vm, Instant now) {
    return text(vm, "name") + " (" + text(vm, "instance_id") + ", " + text(vm, "state") + ", " + expiry(vm, now) + ")";
  }

  /**
   * Who created it, short: an IAM ARN without its {@code arn:aws:iam::ACCOUNT:} prefix
   * ({@code user/alice}, {@code assumed-role/Admin/alice}); a local user name as it is.
   */
  static String owner(JsonValue vm) {
    String owner = text(vm, "owner");
    String[] arn = owner.split(":", 6);
    return owner.startsWith("arn:") && arn.length == 6 ? arn[5] : owner;
  }

  static String runs(JsonValue vm) {
    if (vm.hasNonNull("nix_toplevel")) {
      return vm.path("nix_toplevel").asText();
    }
    if (vm.hasNonNull("nix_binary")) {
      StringBuilder runs = new StringBuilder(vm.path("nix_binary").asText());
      vm.path("args").forEach(arg -> runs.append(' ').append(JsonValue.write(arg.asText())));
      return runs.toString();
    }
    return "(base image)";
  }

  static String expiry(JsonValue vm, Instant now) {
    if (!vm.hasNonNull("expires_at")) {
      return "-";
    }
    Duration left;
    try {
      left = Duration.between(now, Instant.parse(vm.path("expires_at").asText()));
    } catch (DateTimeParseException e) {
      return "-";
    }
    if (left.isNegative() || left.isZero()) {
      return "expired";
    }
    long minutes = (left.toSeconds() + 59) / 60;
    return minutes >= 120 ? "in " + minutes / 60 + "h" + (minutes % 60) + "m" : "in " + minutes + "m";
  }

  /** The field as text, "-" when null or absent. */
  static String text(JsonValue node, String field) {
    return node.path(field).asText("-");
  }
}
