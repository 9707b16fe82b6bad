package thebacknd.cli;

import java.time.Duration;
import java.time.Instant;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;

final class LogsCommand implements Command {

  static final Spec SPEC = Spec.of("logs", "Print (-f: follow) a VM's output or its agent's log.")
      .description(
          "Print a VM's output: its program's stdout and stderr, or for a toplevel its agent's log "
              + "(phases, Nix, switch-to-configuration, a failed unit's journal). With -f, follow it "
              + "until it ends.",
          "Give NAME (the VM that last had that name, also once it is gone; its vm_id is said on "
              + "stderr), or --vm-id for any VM: its output is kept for days after it is gone.")
      .arguments(Argument.optional("NAME", "A VM's name, as list shows it."))
      .options(
          Option.value("--vm-id", "ID", "The VM's vm_id, also once it is gone."),
          Option.flag("-f, --follow", "Keep printing what arrives until the output ends or the VM is gone."),
          Option.value("--timeout", "MINUTES", "Stop following after this long (default: 720)."),
          Option.value("--poll-millis", "MILLIS", "How often -f asks for more (default: 500).").hidden())
      .options(ApiOptions.OPTIONS);

  /** How often -f looks for the VM in list, to stop when it is gone without a final chunk. */
  private static final Duration LIVENESS_EVERY = Duration.ofSeconds(5);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws InterruptedException {
    ApiOptions api = ApiOptions.of(in);
    String name = in.positional(0);
    String vmId = in.value("--vm-id");
    if ((name == null) == (vmId == null)) {
      throw in.usage("give either NAME or --vm-id ID");
    }
    if (vmId != null && !VmIds.valid(vmId)) {
      throw in.usage("invalid --vm-id " + Render.safe(vmId) + ": a vm_id is a lowercase UUID, as run and list --wide print it");
    }
    boolean follow = in.flag("--follow");
    int timeoutMinutes = in.positiveValue("--timeout", 720);
    int pollMillis = Math.max(50, in.positiveValue("--poll-millis", 500));
    ApiClient client = api.client(in.env());
    Printer printer = new Printer(in, api.json);
    LogReader logs = name != null ? LogReader.byName(client, name) : LogReader.byVmId(client, vmId);
    logs.read(printer::text, printer::page);
    if (name != null && logs.vmId() != null) {
      // Its output stays readable by vm_id once the name belongs to another VM.
      printer.note(name + " is vm_id " + logs.vmId());
    }
    Instant deadline = Instant.now().plus(Duration.ofMinutes(timeoutMinutes));
    Instant nextLivenessCheck = Instant.now().plus(LIVENESS_EVERY);
    while (follow && !logs.done() && Instant.now().isBefore(deadline)) {
      Thread.sleep(pollMillis);
      logs.read(printer::text, printer::page);
      if (!logs.done() && Instant.now().isAfter(nextLivenessCheck)) {
        nextLivenessCheck = Instant.now().plus(LIVENESS_EVERY);
        if (!VmWatch.isListed(client, logs.vmId())) {
          logs.read(printer::text, printer::page); // what arrived just before it went
          if (!logs.done()) {
            printer.note("the VM is gone; its output ends here, unfinished");
          }
          break;
        }
      }
    }
    if (logs.done() && logs.exitCode() != null) {
      printer.note("exit code " + logs.exitCode());
    }
    in.out().flush();
    return Main.OK;
  }

  /** Output text on stdout; with --json, every answer of GET /logs as one line (JSON Lines) instead. */
  private record Printer(Invocation in, boolean json) {

    void text(String text) {
      if (!json) {
        in.out().print(text);
        in.out().flush();
      }
    }

    void page(ApiReply reply) {
      if (json) {
        in.out().println(reply.body());
        in.out().flush();
      }
    }

    void note(String text) {
      if (!json) {
        in.err().println("thebacknd: " + text);
        in.err().flush();
      }
    }
  }
}
