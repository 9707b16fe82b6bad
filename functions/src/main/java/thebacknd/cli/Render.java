package thebacknd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import thebacknd.Json;
import thebacknd.edge.ApiResponse;

/** Human output: a table of VMs and one-line summaries. {@code --json} bypasses all of this. */
final class Render {

  private static final String[] HEADER = {"NAME", "STATE", "PHASE", "EXIT", "TYPE", "EXPIRES", "OWNER", "PUBLIC IP", "RUNS"};

  private Render() {}

  static void json(PrintWriter out, ApiResponse response) {
    out.println(Json.write(response.body()));
  }

  static void table(PrintWriter out, JsonNode vms, Instant now) {
    if (vms.isEmpty()) {
      out.println("No live VMs.");
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    for (JsonNode vm : vms) {
      rows.add(
          new String[] {
            text(vm, "name"),
            text(vm, "state"),
            text(vm, "phase"),
            text(vm, "exit_code"),
            text(vm, "instance_type") + ("spot".equals(vm.path("lifecycle").asText()) ? " (spot)" : ""),
            // Why destroy-old will take it: "expired", or "unresponsive" (its agent never reported).
            vm.path("destroy_reason").isTextual() ? vm.path("destroy_reason").asText() : expiry(vm, now),
            owner(vm),
            vm.path("public_ips").isEmpty() ? "-" : vm.path("public_ips").get(0).asText(),
            runs(vm)
          });
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** "thebacknd-3 (i-0abc…, running, expires in 59m)" */
  static String summary(JsonNode vm, Instant now) {
    return text(vm, "name") + " (" + text(vm, "instance_id") + ", " + text(vm, "state") + ", " + expiry(vm, now) + ")";
  }

  /**
   * Who created it, short: an IAM ARN without its {@code arn:aws:iam::ACCOUNT:} prefix
   * ({@code user/alice}, {@code assumed-role/Admin/alice}); a local user name as it is.
   */
  static String owner(JsonNode vm) {
    String owner = text(vm, "owner");
    String[] arn = owner.split(":", 6);
    return owner.startsWith("arn:") && arn.length == 6 ? arn[5] : owner;
  }

  static String runs(JsonNode vm) {
    if (!vm.path("nix_toplevel").isNull() && vm.has("nix_toplevel")) {
      return vm.get("nix_toplevel").asText();
    }
    if (!vm.path("nix_binary").isNull() && vm.has("nix_binary")) {
      StringBuilder runs = new StringBuilder(vm.get("nix_binary").asText());
      vm.path("args").forEach(arg -> runs.append(' ').append(Json.write(arg.asText())));
      return runs.toString();
    }
    return "(base image)";
  }

  static String expiry(JsonNode vm, Instant now) {
    if (!vm.hasNonNull("expires_at")) {
      return "-";
    }
    Duration left = Duration.between(now, Instant.parse(vm.get("expires_at").asText()));
    if (left.isNegative() || left.isZero()) {
      return "expired";
    }
    long minutes = (left.toSeconds() + 59) / 60;
    return minutes >= 120 ? "in " + minutes / 60 + "h" + (minutes % 60) + "m" : "in " + minutes + "m";
  }

  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? "-" : value.asText();
  }
}
