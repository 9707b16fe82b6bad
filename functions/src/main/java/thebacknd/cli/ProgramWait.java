package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import thebacknd.cli.VmWatch.Sighting;

/**
 * {@code run PROGRAM --wait} (DESIGN §7, §9): the VM's phases on stderr, the program's output on
 * stdout as it arrives, and then the program's own exit code, like {@code docker run}; 125 when
 * thebacknd or the VM failed before the program finished. Every loop here is bounded.
 */
final class ProgramWait {

  /** The exit code when the program never finished (docker run's, for its own failures). */
  static final int NOT_FINISHED = 125;
  /** How long to wait for what the agent sends after a verdict (its log after `failed`, the exit code after the output). */
  private static final Duration SETTLE = Duration.ofSeconds(15);

  private final ApiClient client;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean quiet;
  private final Duration listEvery;
  private final Duration logsEvery;
  private final Duration timeout;
  private boolean summarised;

  /**
   * @param quiet no phase lines (--json)
   * @param listEvery how often the phase is read ({@code GET /list})
   * @param logsEvery how often new output is read ({@code GET /logs})
   */
  ProgramWait(ApiClient client, PrintWriter out, PrintWriter err, boolean quiet, Duration listEvery, Duration logsEvery, Duration timeout) {
    this.client = client;
    this.out = out;
    this.err = err;
    this.quiet = quiet;
    this.listEvery = listEvery;
    this.logsEvery = logsEvery;
    this.timeout = timeout;
  }

  int follow(JsonValue created) throws InterruptedException {
    VmWatch watch = new VmWatch(client, created);
    try (VmWatch.InterruptNotice notice = watch.noticeOnInterrupt(err)) {
      return follow(watch, LogReader.byVmId(client, watch.lastSeen().path("vm_id").asText()));
    }
  }

  private int follow(VmWatch watch, LogReader logs) throws InterruptedException {
    String name = watch.name();
    Instant deadline = Instant.now().plus(timeout);
    Instant nextList = Instant.now();
    Instant outputEnded = null;
    Instant reportedFinished = null;
    String lastPhase = null;
    boolean started = false;
    while (Instant.now().isBefore(deadline)) {
      if (!Instant.now().isBefore(nextList)) {
        nextList = Instant.now().plus(listEvery);
        Sighting sighting = watch.poll();
        if (sighting instanceof Sighting.Gone) {
          return gone(logs, watch, lastPhase);
        }
        if (sighting instanceof Sighting.Unreachable unreachable) {
          return giveUp("stopped waiting: " + unreachable.why(), watch);
        }
        if (sighting instanceof Sighting.Listed listed) {
          JsonValue vm = listed.vm();
          String phase = watch.phase();
          if (listed.newPhase()) {
            lastPhase = phase;
            phaseLine(name, phase, Render.safe(vm.path("phase_detail").asText(null)));
          }
          if ("unresponsive".equals(phase)) {
            err.println("thebacknd: " + VmWatch.unresponsive(name));
            err.flush();
            return NOT_FINISHED;
          }
          started |= "running".equals(phase) || "finished".equals(phase);
          if (started) {
            summarise(vm);
          }
          if ("failed".equals(phase)) {
            return failed(logs, vm, started);
          }
          if ("finished".equals(phase) && vm.hasNonNull("exit_code") && reportedFinished == null) {
            reportedFinished = Instant.now();
          }
        }
      }
      if (started) {
        readOutput(logs);
      }
      if (logs.done() && logs.exitCode() != null) {
        return finished(watch, lastPhase, logs.exitCode());
      }
      if (logs.done() && outputEnded == null) {
        outputEnded = Instant.now();
      }
      // The report came but the output did not end: delivery stopped (the output limit, the API
      // unreachable); the console still has it. The exit code is what the caller waits for.
      if (reportedFinished != null && Instant.now().isAfter(reportedFinished.plus(SETTLE))) {
        JsonValue vm = watch.lastSeen();
        err.println("thebacknd: " + name + ": the program finished, but its output did not all arrive (see thebacknd console " + name + ")");
        err.flush();
        return vm.hasNonNull("exit_code") ? vm.path("exit_code").asInt() : NOT_FINISHED;
      }
      if (outputEnded != null && Instant.now().isAfter(outputEnded.plus(SETTLE))) {
        err.println("thebacknd: " + name + ": the output ended but no exit code was reported");
        err.flush();
        return NOT_FINISHED;
      }
      Thread.sleep(logsEvery.toMillis());
    }
    return giveUp("gave up waiting after " + Render.minutes(timeout.toMinutes()), watch);
  }

  private int giveUp(String why, VmWatch watch) {
    err.println("thebacknd: " + why + "; " + VmWatch.goesOn(watch.lastSeen()) + " (its output: thebacknd logs " + watch.name() + " -f)");
    err.flush();
    return NOT_FINISHED;
  }

  /** New output, if the API answers; a failing read is tried again at the next round. */
  private void readOutput(LogReader logs) {
    try {
      logs.read(this::print, page -> {});
    } catch (thebacknd.Failure unreachableForAMoment) {
      // The list poll counts failures and gives up; the output is read again next round.
    }
  }

  /**
   * The VM is gone: a program that finished destroyed it; anything else ended it first. A spot VM
   * whose interruption notice came (phase {@code interrupted}) may still finish in the two minutes
   * AWS gives it; gone without an exit code, AWS took it back.
   */
  private int gone(LogReader logs, VmWatch watch, String lastPhase) {
    String name = watch.name();
    String lastDetail = Render.safe(watch.lastSeen().path("phase_detail").asText(null));
    try {
      logs.read(this::print, page -> {});
    } catch (CliException nothingKept) {
      // A VM that never sent anything and is gone: nothing to show.
    }
    if (logs.exitCode() != null) {
      return finished(watch, lastPhase, logs.exitCode());
    }
    if ("interrupted".equals(lastPhase)) {
      err.println("thebacknd: " + name + " is gone before its program finished: AWS reclaimed its spot capacity ("
          + (lastDetail == null ? "spot interruption" : lastDetail) + "); run it again, or without --spot");
    } else {
      err.println("thebacknd: " + name + " is gone before its program finished (last phase: " + (lastPhase == null ? "none" : lastPhase) + ")");
    }
    err.flush();
    return NOT_FINISHED;
  }

  /**
   * The VM failed. Before the program ran, what the agent sends then is its own log (why it
   * failed), which goes to stderr; it arrives just after the report, so it is waited for.
   */
  private int failed(LogReader logs, JsonValue vm, boolean started) throws InterruptedException {
    Instant until = Instant.now().plus(SETTLE);
    do {
      logs.read(started ? this::print : this::printErr, page -> {});
      if (logs.done()) {
        break;
      }
      Thread.sleep(logsEvery.toMillis());
    } while (Instant.now().isBefore(until));
    err.println("thebacknd: the VM failed: " + Render.text(vm, "phase_detail"));
    err.println("thebacknd: " + ToplevelWait.keptForDebugging(vm));
    err.flush();
    Integer code = vm.hasNonNull("exit_code") ? Integer.valueOf(vm.path("exit_code").asInt()) : logs.exitCode();
    return code != null ? code : NOT_FINISHED;
  }

  /**
   * The program's exit code; its {@code finished} phase line first when no poll saw it (a quick
   * program can start, end and take its VM away between two polls).
   */
  private int finished(VmWatch watch, String lastPhase, int exitCode) {
    if (!"finished".equals(lastPhase)) {
      phaseLine(watch.name(), "finished", "exit code " + exitCode);
    }
    summarise(watch.lastSeen());
    if (!quiet) {
      err.println("thebacknd: " + watch.name() + " was vm_id " + Render.text(watch.lastSeen(), "vm_id")
          + " (its output stays readable: thebacknd logs --vm-id " + Render.text(watch.lastSeen(), "vm_id") + ")");
      err.flush();
    }
    return exitCode;
  }

  /** The ready summary line, once, as soon as the VM's time to ready is known. */
  private void summarise(JsonValue vm) {
    String line = summarised || quiet ? null : ReadySummary.line(vm);
    if (line != null) {
      summarised = true;
      err.println(line);
      err.flush();
    }
  }

  private void phaseLine(String name, String phase, String detail) {
    if (!quiet) {
      err.println(name + ": " + phase + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
      err.flush();
    }
  }

  private void print(String text) {
    out.print(text);
    out.flush();
  }

  private void printErr(String text) {
    err.print(text);
    err.flush();
  }
}
