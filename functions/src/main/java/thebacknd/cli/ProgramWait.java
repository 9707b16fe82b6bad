package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import thebacknd.edge.Endpoint;

/**
 * {@code run PROGRAM --wait} (DESIGN §7, §9): the VM's phases on stderr, the program's output on
 * stdout as it arrives, and then the program's own exit code, like {@code docker run}; 125 when
 * thebacknd or the VM failed before the program finished. Every loop here is bounded.
 */
final class ProgramWait {

  /** The exit code when the program never finished (docker run's, for its own failures). */
  static final int NOT_FINISHED = 125;
  /** Polls allowed before a just-created VM first shows up in list (EC2 is eventually consistent). */
  private static final int NOT_YET_LISTED_ROUNDS = 5;
  /** How long to wait for what the agent sends after a verdict (its log after `failed`, the exit code after the output). */
  private static final Duration SETTLE = Duration.ofSeconds(15);

  private final ApiClient client;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean quiet;
  private final Duration listEvery;
  private final Duration logsEvery;
  private final Duration timeout;

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
    String vmId = created.path("vm_id").asText();
    String name = created.path("name").asText();
    LogReader logs = LogReader.byVmId(client, vmId);
    Instant deadline = Instant.now().plus(timeout);
    Instant nextList = Instant.now();
    Instant outputEnded = null;
    Instant reportedFinished = null;
    String lastPhase = null;
    String lastDetail = null;
    boolean seen = false;
    boolean started = false;
    int unseenRounds = 0;
    while (Instant.now().isBefore(deadline)) {
      if (!Instant.now().isBefore(nextList)) {
        nextList = Instant.now().plus(listEvery);
        Optional<JsonValue> vm;
        try {
          vm = listed(vmId);
        } catch (AskAgain throttled) {
          Thread.sleep(logsEvery.toMillis());
          continue;
        }
        if (vm.isEmpty() && (seen || unseenRounds++ >= NOT_YET_LISTED_ROUNDS)) {
          return gone(logs, name, lastPhase, lastDetail);
        }
        if (vm.isPresent()) {
          seen = true;
          String phase = vm.get().path("phase").asText(null);
          if (phase != null && !phase.equals(lastPhase)) {
            lastPhase = phase;
            lastDetail = vm.get().path("phase_detail").asText(null);
            phaseLine(name, phase, lastDetail);
          }
          if ("unresponsive".equals(phase)) {
            err.println("thebacknd: " + name + " never reported past booting within THEBACKND_BOOT_TIMEOUT_MINUTES; destroy-old will"
                + " terminate it; its serial console may tell why: thebacknd console " + name);
            err.flush();
            return NOT_FINISHED;
          }
          started |= "running".equals(phase) || "finished".equals(phase);
          if ("failed".equals(phase)) {
            return failed(logs, vm.get(), started);
          }
          if ("finished".equals(phase) && vm.get().hasNonNull("exit_code") && reportedFinished == null) {
            reportedFinished = Instant.now();
          }
        }
      }
      if (started) {
        logs.read(this::print, page -> {});
      }
      if (logs.done() && logs.exitCode() != null) {
        return finished(name, lastPhase, logs.exitCode());
      }
      if (logs.done() && outputEnded == null) {
        outputEnded = Instant.now();
      }
      // The report came but the output did not end: delivery stopped (the output limit, the API
      // unreachable); the console still has it. The exit code is what the caller waits for.
      if (reportedFinished != null && Instant.now().isAfter(reportedFinished.plus(SETTLE))) {
        Integer code = exitCodeOf(listed(vmId));
        err.println("thebacknd: " + name + ": the program finished, but its output did not all arrive (see thebacknd console " + name + ")");
        err.flush();
        return code != null ? code : NOT_FINISHED;
      }
      if (outputEnded != null && Instant.now().isAfter(outputEnded.plus(SETTLE))) {
        err.println("thebacknd: " + name + ": the output ended but no exit code was reported");
        err.flush();
        return NOT_FINISHED;
      }
      Thread.sleep(logsEvery.toMillis());
    }
    err.println("thebacknd: gave up waiting after " + timeout.toMinutes() + " minutes; the VM keeps running until it expires (thebacknd logs " + name + " -f)");
    err.flush();
    return NOT_FINISHED;
  }

  /**
   * The VM is gone: a program that finished destroyed it; anything else ended it first. A spot VM
   * whose interruption notice came (phase {@code interrupted}) may still finish in the two minutes
   * AWS gives it; gone without an exit code, AWS took it back.
   */
  private int gone(LogReader logs, String name, String lastPhase, String lastDetail) {
    try {
      logs.read(this::print, page -> {});
    } catch (CliException nothingKept) {
      // A VM that never sent anything and is gone: nothing to show.
    }
    if (logs.exitCode() != null) {
      return finished(name, lastPhase, logs.exitCode());
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
    err.flush();
    Integer code = vm.hasNonNull("exit_code") ? Integer.valueOf(vm.path("exit_code").asInt()) : logs.exitCode();
    return code != null ? code : NOT_FINISHED;
  }

  /** GET /list was throttled or failed for a moment: ask again at the next poll. */
  private static final class AskAgain extends RuntimeException {
    AskAgain() {
      super(null, null, false, false);
    }
  }

  private Optional<JsonValue> listed(String vmId) {
    Reply listed = client.call(Endpoint.LIST, null);
    if (listed.worthRetrying()) {
      throw new AskAgain();
    }
    if (listed.failed()) {
      throw new CliException(NOT_FINISHED, listed.describe());
    }
    for (JsonValue vm : listed.body().path("vms")) {
      if (vmId.equals(vm.path("vm_id").asText())) {
        return Optional.of(vm);
      }
    }
    return Optional.empty();
  }

  private static Integer exitCodeOf(Optional<JsonValue> vm) {
    return vm.filter(v -> v.hasNonNull("exit_code")).map(v -> v.path("exit_code").asInt()).orElse(null);
  }

  /**
   * The program's exit code; its {@code finished} phase line first when no poll saw it (a quick
   * program can start, end and take its VM away between two polls).
   */
  private int finished(String name, String lastPhase, int exitCode) {
    if (!"finished".equals(lastPhase)) {
      phaseLine(name, "finished", "exit code " + exitCode);
    }
    return exitCode;
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
