package thebacknd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.Json;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

@Command(
    name = "logs",
    description = {
      "Print a VM's output: its program's stdout and stderr, or for a toplevel its agent's log",
      "(phases, Nix, switch-to-configuration, a failed unit's journal). With -f, follow it until",
      "it ends. A VM that is gone is asked for by --vm-id (its output is kept for days)."
    })
final class LogsCommand implements Callable<Integer> {

  /** How often -f looks for the VM in list, to stop when it is gone without a final chunk. */
  private static final Duration LIVENESS_EVERY = Duration.ofSeconds(5);

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Spec CommandSpec spec;

  @ArgGroup(multiplicity = "1")
  Which which;

  static final class Which {
    @Parameters(paramLabel = "NAME", description = "A live VM's name, as list shows it.")
    String name;

    @Option(names = "--vm-id", paramLabel = "ID", description = "The VM's vm_id, also once it is gone.")
    String vmId;
  }

  @Option(names = {"-f", "--follow"}, description = "Keep printing what arrives until the output ends or the VM is gone.")
  boolean follow;

  @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "720", description = "Stop following after this long (default: ${DEFAULT-VALUE}).")
  int timeoutMinutes;

  @Option(names = "--poll-millis", paramLabel = "MILLIS", defaultValue = "500", hidden = true)
  int pollMillis;

  @Override
  public Integer call() throws InterruptedException {
    ApiClient client = api.client(main.env());
    LogReader logs = which.name != null ? LogReader.byName(client, which.name) : LogReader.byVmId(client, which.vmId);
    PrintWriter out = spec.commandLine().getOut();
    logs.read(this::print, this::page);
    Instant deadline = Instant.now().plus(Duration.ofMinutes(timeoutMinutes));
    Instant nextLivenessCheck = Instant.now().plus(LIVENESS_EVERY);
    while (follow && !logs.done() && Instant.now().isBefore(deadline)) {
      Thread.sleep(Math.max(50, pollMillis));
      logs.read(this::print, this::page);
      if (!logs.done() && Instant.now().isAfter(nextLivenessCheck)) {
        nextLivenessCheck = Instant.now().plus(LIVENESS_EVERY);
        if (!live(client, logs.vmId())) {
          logs.read(this::print, this::page); // what arrived just before it went
          if (!logs.done()) {
            note("the VM is gone; its output ends here, unfinished");
          }
          break;
        }
      }
    }
    if (logs.done() && logs.exitCode() != null) {
      note("exit code " + logs.exitCode());
    }
    out.flush();
    return Main.OK;
  }

  private boolean live(ApiClient client, String vmId) {
    ApiResponse listed = client.call(Endpoint.LIST, null);
    if (listed.status() >= 400) {
      throw new CliException(Main.FAILED, Answer.describe(listed));
    }
    for (var vm : listed.body().path("vms")) {
      if (vmId.equals(vm.path("vm_id").asText())) {
        return true;
      }
    }
    return false;
  }

  private void print(String text) {
    if (!api.json) {
      spec.commandLine().getOut().print(text);
      spec.commandLine().getOut().flush();
    }
  }

  /** With --json, every answer of GET /logs as one line (JSON Lines). */
  private void page(com.fasterxml.jackson.databind.JsonNode body) {
    if (api.json) {
      spec.commandLine().getOut().println(Json.write(body));
      spec.commandLine().getOut().flush();
    }
  }

  private void note(String text) {
    if (!api.json) {
      spec.commandLine().getErr().println("thebacknd: " + text);
      spec.commandLine().getErr().flush();
    }
  }
}
