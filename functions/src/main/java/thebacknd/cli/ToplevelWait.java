package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import thebacknd.cli.VmWatch.Sighting;

/**
 * {@code run --wait} for a toplevel or the base image: the VM's phases on stdout until it is
 * {@code running} (exit 0), or failed, interrupted, unresponsive, gone (exit 1). With
 * {@code --json}, no phase lines: the VM's last answer once it ends. Bounded by the timeout.
 */
final class ToplevelWait {

  /** Lines of a failed VM's log shown at the end. */
  private static final int LOG_TAIL_LINES = 20;
  private static final int LOG_TAIL_ROUNDS = 5;

  private final ApiClient client;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean json;
  private final Duration pollEvery;
  private final Duration timeout;

  ToplevelWait(ApiClient client, PrintWriter out, PrintWriter err, boolean json, Duration pollEvery, Duration timeout) {
    this.client = client;
    this.out = out;
    this.err = err;
    this.json = json;
    this.pollEvery = pollEvery;
    this.timeout = timeout;
  }

  int follow(JsonValue created) throws InterruptedException {
    VmWatch watch = new VmWatch(client, created);
    try (VmWatch.InterruptNotice notice = watch.noticeOnInterrupt(err)) {
      Instant deadline = Instant.now().plus(timeout);
      while (Instant.now().isBefore(deadline)) {
        Sighting sighting = watch.poll();
        if (sighting instanceof Sighting.Listed listed) {
          Integer end = phase(watch, listed);
          if (end != null) {
            return end;
          }
        } else if (sighting instanceof Sighting.Gone) {
          return end(watch.lastSeen(), "the VM is gone (last phase: " + watch.phase() + ")");
        } else if (sighting instanceof Sighting.Unreachable unreachable) {
          return end(watch.lastSeen(), "stopped waiting: " + unreachable.why() + "; " + VmWatch.goesOn(watch.lastSeen()));
        }
        Thread.sleep(pollEvery.toMillis());
      }
      return end(watch.lastSeen(), "gave up waiting after " + Render.minutes(timeout.toMinutes()) + "; " + VmWatch.goesOn(watch.lastSeen()));
    }
  }

  /** The exit code when this sighting ends the wait; null to go on. */
  private Integer phase(VmWatch watch, Sighting.Listed listed) throws InterruptedException {
    JsonValue vm = listed.vm();
    String phase = watch.phase();
    if (listed.newPhase() && !json) {
      String detail = Render.text(vm, "phase_detail");
      out.println(watch.name() + ": " + phase + ("-".equals(detail) ? "" : " (" + detail + ")"));
      out.flush();
    }
    return switch (phase) {
      case "running", "finished" -> {
        if (!json) {
          out.println(watch.name() + " is up: vm_id " + Render.text(vm, "vm_id") + ", until " + Render.text(vm, "expires_at")
              + " (" + Render.expiry(vm, Instant.now()) + ")");
          out.flush();
          String summary = ReadySummary.line(vm);
          if (summary != null) {
            err.println(summary);
            err.flush();
          }
        }
        yield end(vm, null);
      }
      case "failed" -> {
        int code = end(vm, "the VM failed: " + Render.text(vm, "phase_detail"));
        showLogTail(watch.name(), Render.text(vm, "vm_id"));
        err.println("thebacknd: " + keptForDebugging(vm));
        err.flush();
        yield code;
      }
      case "interrupted" -> end(vm, "the VM will not get there: AWS is reclaiming its spot capacity ("
          + Render.text(vm, "phase_detail") + "); run it again, or without --spot");
      case "unresponsive" -> end(vm, VmWatch.unresponsive(watch.name()));
      default -> null;
    };
  }

  /** A failed VM stays up a while (for ssh, logs, console): until when, and how to stop it now. */
  static String keptForDebugging(JsonValue vm) {
    return Render.text(vm, "name") + " stays up until " + Render.text(vm, "expires_at") + " (" + Render.expiry(vm, Instant.now())
        + ") for ssh, logs and console; to destroy it now: " + VmWatch.destroyCommand(vm);
  }

  /** With --json the VM's last answer on stdout; the problem, if any, on stderr. Exit 1, or 0 without a problem. */
  private int end(JsonValue vm, String problem) {
    if (json) {
      out.println(JsonValue.write(JsonValue.object("vm", vm)));
    }
    out.flush();
    if (problem == null) {
      return Main.OK;
    }
    err.println("thebacknd: " + problem);
    err.flush();
    return Main.FAILED;
  }

  /**
   * The last lines of a failed VM's log (what its agent sent), on stderr. The agent sends the end
   * of its log just after reporting {@code failed}: waited for, a few seconds at most.
   */
  private void showLogTail(String name, String vmId) throws InterruptedException {
    StringBuilder log = new StringBuilder();
    LogReader reader = LogReader.byVmId(client, vmId);
    try {
      for (int round = 0; round < LOG_TAIL_ROUNDS; round++) {
        reader.read(log::append, page -> {});
        if (reader.done()) {
          break;
        }
        Thread.sleep(Duration.ofSeconds(1).toMillis());
      }
    } catch (CliException | thebacknd.Failure unavailable) {
      // The verdict is already printed; the log is a bonus (no output bucket, an old agent…).
    }
    List<String> lines = log.toString().lines().toList();
    if (lines.isEmpty()) {
      return;
    }
    err.println("thebacknd: the last lines of its log (all of it: thebacknd logs " + name + "):");
    lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()).forEach(l -> err.println("  | " + l));
    err.flush();
  }
}
