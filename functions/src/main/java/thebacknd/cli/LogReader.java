package thebacknd.cli;

import java.util.Map;
import java.util.function.Consumer;
import thebacknd.edge.Route;

/**
 * Reads a VM's output through {@code GET /logs}, page after page, and remembers where it got to
 * ({@code next}). The first read may name the VM; later ones use its vm_id, which keeps working
 * once the VM is gone.
 */
final class LogReader {

  /** Pages one {@link #read} follows at most before it returns (each page is up to about 1 MiB). */
  private static final int MAX_PAGES = 64;

  private final ApiClient client;
  private String parameter;
  private String value;
  private long next = -1;
  private boolean done;
  private Integer exitCode;
  private String vmId;
  private String name;

  private LogReader(ApiClient client, String parameter, String value) {
    this.client = client;
    this.parameter = parameter;
    this.value = value;
  }

  static LogReader byName(ApiClient client, String name) {
    return new LogReader(client, "name", name);
  }

  static LogReader byVmId(ApiClient client, String vmId) {
    return new LogReader(client, "vm_id", vmId);
  }

  /**
   * Reads what has arrived since the last read, handing each chunk's text to {@code text} and each
   * answer to {@code page}; true when any chunk came. A throttled or briefly failing API (429,
   * 502-504) is asked again at the next read; any other error answer is a {@link CliException}.
   */
  boolean read(Consumer<String> text, Consumer<ApiReply> page) {
    boolean any = false;
    for (int pages = 0; pages < MAX_PAGES; pages++) {
      ApiReply reply = client.get(Route.LOGS, Map.of(parameter, value, "after", Long.toString(next)));
      if (reply.worthRetrying()) {
        return any;
      }
      if (reply.failed()) {
        throw new CliException(reply.exitCode(), reply.describe());
      }
      JsonValue body = reply.body();
      page.accept(reply);
      if (body.hasNonNull("vm_id")) {
        vmId = body.path("vm_id").asText();
        parameter = "vm_id";
        value = vmId;
      }
      if (body.hasNonNull("name")) {
        name = body.path("name").asText();
      }
      done = body.path("done").asBoolean(false);
      exitCode = body.hasNonNull("exit_code") ? body.path("exit_code").asInt() : null;
      JsonValue chunks = body.path("chunks");
      for (JsonValue chunk : chunks) {
        text.accept(chunk.path("text").asText());
      }
      long after = next;
      next = body.path("next").asLong(next);
      if (chunks.isEmpty() || next == after || done) {
        return any || !chunks.isEmpty();
      }
      any = true;
    }
    return any;
  }

  boolean done() {
    return done;
  }

  /** The program's exit code, once {@code report} delivered it; null before. */
  Integer exitCode() {
    return exitCode;
  }

  String vmId() {
    return vmId;
  }

  /** The VM's name while it lives (null once it is gone and was asked for by vm_id). */
  String name() {
    return name;
  }
}
