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
  private static final String[] WIDE_HEADER = {"NAME", "VM ID", "STATE", "PHASE", "EXIT", "TYPE", "EXPIRES", "OWNER", "PUBLIC IP", "RUNS"};
  /** What a row of the (not wide) table fits in, unless the other columns leave RUNS less than RUNS_MIN_WIDTH. */
  static final int WIDTH = 120;
  private static final int RUNS_MIN_WIDTH = 32;
  /** StorePath's, written out: loading thebacknd.cache here would cost list its start-up. */
  private static final String STORE_DIR = "/nix/store/";
  /** Characters of a store path's hash that the table keeps ({@code /nix/store/d05l…-name}). */
  private static final int HASH_SHOWN = 4;

  private Render() {}

  /**
   * The VMs as a table. Store paths' hashes are abbreviated so that a row fits 120 columns;
   * {@code wide} adds the vm_id and keeps whole paths (as {@code --json} does).
   */
  static void table(PrintWriter out, JsonValue vms, Instant now, boolean wide) {
    if (vms.isEmpty()) {
      out.println("No live VMs.");
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(wide ? WIDE_HEADER : HEADER);
    for (JsonValue vm : vms) {
      List<String> row = new ArrayList<>(List.of(
          text(vm, "name"),
          text(vm, "state"),
          text(vm, "phase"),
          text(vm, "exit_code"),
          text(vm, "instance_type") + ("spot".equals(vm.path("lifecycle").asText()) ? " (spot)" : ""),
          // Why destroy-old will take it: "expired", "unresponsive" (its agent never reported), "failed".
          vm.hasNonNull("destroy_reason") ? text(vm, "destroy_reason") : expiry(vm, now),
          owner(vm),
          safe(vm.path("public_ips").get(0).asText("-")),
          wide ? runs(vm) : abbreviated(runs(vm))));
      if (wide) {
        row.add(1, text(vm, "vm_id"));
      }
      rows.add(row.toArray(new String[0]));
    }
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    if (!wide) {
      // RUNS, the last column, takes what is left of 120 columns, at least RUNS_MIN_WIDTH.
      int left = WIDTH;
      for (int i = 0; i < columns - 1; i++) {
        left -= widths[i] + 2;
      }
      for (String[] row : rows) {
        row[columns - 1] = fitted(row[columns - 1], Math.max(RUNS_MIN_WIDTH, left));
      }
    }
    StringBuilder line = new StringBuilder();
    for (String[] row : rows) {
      line.setLength(0);
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /**
   * RUNS in {@code width} columns: the leading /nix/store/ shown as "…/", then, if still too long,
   * its middle cut with "…", so that the store path's start and the program with its last
   * arguments show.
   */
  static String fitted(String runs, int width) {
    String shown = runs.length() > width && runs.startsWith(STORE_DIR) ? "…/" + runs.substring(STORE_DIR.length()) : runs;
    if (shown.length() <= width) {
      return shown;
    }
    int tail = (width - 1) / 2;
    return shown.substring(0, width - 1 - tail) + "…" + shown.substring(shown.length() - tail);
  }

  /** Every store path's 32-character hash cut to its first few: /nix/store/d05l…-nixos-system-web-26.05. */
  static String abbreviated(String runs) {
    String store = STORE_DIR;
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int at = runs.indexOf(store); at >= 0; at = runs.indexOf(store, from)) {
      int hash = at + store.length();
      boolean whole = hash + 32 < runs.length() && runs.charAt(hash + 32) == '-';
      out.append(runs, from, hash);
      from = hash;
      if (whole) {
        out.append(runs, hash, hash + HASH_SHOWN).append('…');
        from = hash + 32;
      }
    }
    return out.append(runs.substring(from)).toString();
  }

  /** "thebacknd-3 (i-0abc…, running, in 59m), vm_id 5f0c…" */
  static String summary(JsonValue vm, Instant now) {
    return text(vm, "name") + " (" + text(vm, "instance_id") + ", " + text(vm, "state") + ", " + expiry(vm, now) + "), vm_id "
        + text(vm, "vm_id");
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
      return text(vm, "nix_toplevel");
    }
    if (vm.hasNonNull("nix_binary")) {
      StringBuilder runs = new StringBuilder(text(vm, "nix_binary"));
      vm.path("args").forEach(arg -> runs.append(' ').append(safe(JsonValue.write(arg.asText()))));
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

  /** The field as text, "-" when null or absent; control characters escaped ({@link #safe}). */
  static String text(JsonValue node, String field) {
    return safe(node.path(field).asText("-"));
  }

  /**
   * Text from the API made safe for a terminal: every control character (C0, DEL, C1: what
   * starts an escape sequence, moves the cursor or rings the bell) written as {@code \xNN},
   * so that a VM's report cannot drive the terminal of whoever lists it.
   * Only a program's own output is printed as it came.
   */
  static String safe(String text) {
    return escape(text, false);
  }

  /** Like {@link #safe}, for multi-line text (a serial console): keeps line ends and tabs, drops a CR before LF. */
  static String safeLines(String text) {
    return escape(text, true);
  }

  private static String escape(String text, boolean lines) {
    if (text == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (lines && (c == '\n' || c == '\t')) {
        out.append(c);
      } else if (lines && c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
        continue;
      } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        out.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** "1 minute", "15 minutes". */
  static String minutes(long minutes) {
    return minutes + (minutes == 1 ? " minute" : " minutes");
  }
}
