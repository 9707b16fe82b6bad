package thebacknd.cli;

import java.io.PrintWriter;
import java.util.Optional;
import thebacknd.Failure;
import thebacknd.edge.Route;

/**
 * One VM as {@code GET /list} shows it, poll after poll: the one place the CLI looks a VM up in
 * the list. {@code run --wait} (a toplevel's {@link ToplevelWait}, a program's {@link ProgramWait})
 * renders the {@link Sighting}s it returns; {@code logs -f} and {@code ssh} use its look-ups.
 * A failed or throttled poll is ridden out up to {@link #FAILED_POLLS_TOLERATED} times in a row.
 */
final class VmWatch {

  /** Polls allowed before a just-created VM first shows up in list (EC2 is eventually consistent). */
  static final int NOT_YET_LISTED_ROUNDS = 5;
  /** Failed polls in a row (API unreachable, throttled, 5xx) ridden out before giving up. */
  static final int FAILED_POLLS_TOLERATED = 5;

  /** What one poll saw. */
  sealed interface Sighting {
    /** In the list; {@code newPhase} when its phase is not the one the last sighting had. */
    record Listed(JsonValue vm, boolean newPhase) implements Sighting {}

    /** Not in the list yet, as a VM created a moment ago may be. */
    record NotListedYet() implements Sighting {}

    /** No longer in the list (or never was, within {@link #NOT_YET_LISTED_ROUNDS}). */
    record Gone() implements Sighting {}

    /** This poll failed; the next may not. */
    record PollFailed(String why) implements Sighting {}

    /** Too many polls failed in a row, or the API refused the poll: watching ends. */
    record Unreachable(String why) implements Sighting {}
  }

  private final ApiClient client;
  private final String vmId;
  /** The VM as the last poll that listed it showed it (the answer to create before any). */
  private volatile JsonValue lastSeen;
  private boolean listed;
  /** The last phase a poll saw (null before any). */
  private String listedPhase;
  private int unlistedPolls;
  private int failedPolls;

  VmWatch(ApiClient client, JsonValue created) {
    this.client = client;
    this.vmId = created.path("vm_id").asText();
    this.lastSeen = created;
  }

  Sighting poll() {
    ApiReply reply;
    try {
      reply = client.call(Route.LIST, null);
    } catch (Failure unreachable) {
      return failedPoll(unreachable.getMessage());
    }
    if (reply.worthRetrying()) {
      return failedPoll(reply.describe());
    }
    if (reply.failed()) {
      return new Sighting.Unreachable(reply.describe());
    }
    failedPolls = 0;
    Optional<JsonValue> vm = find(reply.body().path("vms"), "vm_id", vmId);
    if (vm.isEmpty()) {
      return !listed && unlistedPolls++ < NOT_YET_LISTED_ROUNDS ? new Sighting.NotListedYet() : new Sighting.Gone();
    }
    listed = true;
    lastSeen = vm.get();
    String phase = vm.get().path("phase").asText(null);
    boolean newPhase = phase != null && !phase.equals(listedPhase);
    listedPhase = phase != null ? phase : listedPhase;
    return new Sighting.Listed(vm.get(), newPhase);
  }

  private Sighting failedPoll(String why) {
    return ++failedPolls > FAILED_POLLS_TOLERATED ? new Sighting.Unreachable(why) : new Sighting.PollFailed(why);
  }

  /** The VM as last seen: its name, vm_id, deadline, phase. */
  JsonValue lastSeen() {
    return lastSeen;
  }

  /** Its phase as last seen ("-" when none was reported). */
  String phase() {
    return Render.text(lastSeen, "phase");
  }

  String name() {
    return Render.text(lastSeen, "name");
  }

  // ------------------------------------------------------------------ look-ups

  /** The live VM of this name, or empty; a failed list is a {@link CliException} (exit 1). */
  static Optional<JsonValue> byName(ApiClient client, String name) {
    return find(listed(client).path("vms"), "name", name);
  }

  /** Whether the VM of this vm_id is still listed. */
  static boolean isListed(ApiClient client, String vmId) {
    return find(listed(client).path("vms"), "vm_id", vmId).isPresent();
  }

  private static JsonValue listed(ApiClient client) {
    ApiReply reply = client.call(Route.LIST, null);
    if (reply.failed()) {
      throw new CliException(reply.exitCode(), reply.describe());
    }
    return reply.body();
  }

  private static Optional<JsonValue> find(JsonValue vms, String field, String value) {
    for (JsonValue vm : vms) {
      if (value.equals(vm.path(field).asText())) {
        return Optional.of(vm);
      }
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ what the renderers say

  /** The one sentence for a VM whose agent never reported past booting. */
  static String unresponsive(String name) {
    return name + " never reported past booting within THEBACKND_BOOT_TIMEOUT_MINUTES (unresponsive); destroy-old will"
        + " terminate it; its serial console may tell why: thebacknd console " + name;
  }

  /** How to destroy it now, exactly (with its vm_id, so that no later VM of that name is hit). */
  static String destroyCommand(JsonValue vm) {
    return "thebacknd destroy " + Render.text(vm, "name") + " --vm-id " + Render.text(vm, "vm_id");
  }

  /**
   * Said on stderr when the CLI stops watching a VM that may still run (Ctrl-C, giving up): that
   * it goes on, until when, and how to stop it.
   */
  static String goesOn(JsonValue vm) {
    return Render.text(vm, "name") + " (vm_id " + Render.text(vm, "vm_id") + ") goes on running until "
        + Render.text(vm, "expires_at") + " (" + Render.expiry(vm, java.time.Instant.now()) + ") unless destroyed;"
        + " to stop it now: " + destroyCommand(vm);
  }

  /**
   * While the CLI waits on a VM, Ctrl-C (SIGINT, SIGTERM) says on stderr that the VM goes on: a
   * shutdown hook, removed by {@link #close} once the wait ends on its own.
   */
  final class InterruptNotice implements AutoCloseable {

    private final Thread hook;

    InterruptNotice(PrintWriter err) {
      hook = new Thread(() -> {
        err.println();
        err.println("thebacknd: interrupted; " + goesOn(lastSeen));
        err.flush();
      });
      Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void close() {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Already exiting: the hook runs (or ran).
      }
    }
  }

  InterruptNotice noticeOnInterrupt(PrintWriter err) {
    return new InterruptNotice(err);
  }
}
