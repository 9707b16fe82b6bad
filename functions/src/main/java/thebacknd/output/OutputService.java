package thebacknd.output;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.s3.model.S3Object;
import thebacknd.Failure;
import thebacknd.config.ConfigException;
import thebacknd.vm.Fleet;
import thebacknd.vm.KillCodes;
import thebacknd.vm.Vm;

/**
 * What a VM gives back (DESIGN §9): its output chunks ({@code POST /output}, kill code), read
 * back in order ({@code GET /logs}) while it lives and after it is gone, with its exit code.
 */
public final class OutputService {

  /** The most text one chunk may carry, in UTF-8 bytes (DESIGN §9). */
  public static final int MAX_CHUNK_BYTES = 64 * 1024;
  /** Per /logs answer: at most this many chunks, and about this much text (at least one chunk). */
  static final int PAGE_CHUNKS = 100;
  static final int PAGE_BYTES = 1024 * 1024;
  /** Chunks read from S3 at once for one answer. */
  private static final int READERS = 8;

  public record Accepted(String vmId, long seq) {}

  public record Chunk(long seq, String text) {}

  /** The answer of {@code GET /logs}; {@code next} is the {@code after} of the next call. */
  public record Logs(String name, String vmId, List<Chunk> chunks, long next, boolean done, Integer exitCode) {}

  private final Optional<OutputStore> kept;
  private final KillCodes killCodes;
  private final Fleet fleet;
  private final Clock clock;
  private final long maxOutputBytes;

  /**
   * @param kept where output is kept; without it (no THEBACKND_OUTPUT_BUCKET) /output and /logs
   *     fail with a one-line configuration error and exit codes are kept as tags only
   */
  public OutputService(Optional<OutputStore> kept, KillCodes killCodes, Fleet fleet, Clock clock, long maxOutputBytes) {
    this.kept = kept;
    this.killCodes = killCodes;
    this.fleet = fleet;
    this.clock = clock;
    this.maxOutputBytes = maxOutputBytes;
  }

  // ------------------------------------------------------------------ POST /output

  /**
   * Keeps one chunk. The kill code is checked before anything is read or stored. A seq already
   * stored is acknowledged and not stored again (the agent retries with the same seq). Past
   * {@code THEBACKND_MAX_OUTPUT_KIB} the chunk is refused with 413 and nothing is stored; an
   * empty final chunk always fits, so the end of the output can still be marked.
   */
  public Accepted accept(String vmId, String killCode, long seq, String text, boolean isFinal) {
    killCodes.require(vmId, killCode);
    if (seq < 0 || seq > OutputStore.MAX_SEQ) {
      throw Failure.badRequest("invalid_seq", "seq must be a whole number from 0 to " + OutputStore.MAX_SEQ + ".");
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_CHUNK_BYTES) {
      throw new Failure(
          Failure.Kind.TOO_LARGE, "chunk_too_large",
          "A chunk carries at most " + MAX_CHUNK_BYTES + " bytes of text; chunk " + seq + " has " + bytes.length + ".");
    }
    OutputStore s = store();
    // The chunk before holds the running total when the chunks came in order: one HEAD. Else
    // (chunk 0, or chunks overtaking each other: the agent keeps a few on their way at once)
    // a listing is summed, and the total is kept again once nothing before is missing. The
    // limit is thus exact but for chunks that overtook this one (at most the agent's window).
    Optional<Long> through = seq == 0 ? Optional.empty() : s.totalThrough(vmId, seq - 1);
    long before;
    Optional<Long> total;
    if (through.isPresent()) {
      before = through.get();
      total = Optional.of(before + bytes.length);
    } else {
      OutputStore.Stored stored = s.stored(vmId, seq);
      before = stored.bytes();
      total = stored.allBefore() ? Optional.of(stored.bytesBefore() + bytes.length) : Optional.empty();
    }
    if (before + bytes.length > maxOutputBytes) {
      throw new Failure(
          Failure.Kind.TOO_LARGE, "output_too_large",
          "This VM's output reached the limit of " + maxOutputBytes / 1024 + " KiB (THEBACKND_MAX_OUTPUT_KIB); chunk "
              + seq + " was not kept.");
    }
    s.putChunkIfAbsent(vmId, seq, bytes, total);
    if (isFinal) {
      s.putFinal(vmId, seq);
    }
    return new Accepted(vmId, seq);
  }

  /** Keeps the exit code {@code report} received, so /logs has it after the VM and its tags are gone. */
  public void recordExitCode(String vmId, int exitCode) {
    kept.ifPresent(s -> s.putExitCode(vmId, exitCode));
  }

  // ------------------------------------------------------------------ GET /logs

  /** The output of the live VM called {@code name}; 404 when no live VM has that name. */
  public Logs logsByName(String name, long after) {
    requireAfter(after);
    Vm vm =
        fleet.live(clock.instant()).stream()
            .filter(v -> name.equals(v.name()))
            .findFirst()
            .orElseThrow(() -> new Failure(
                Failure.Kind.NOT_FOUND, "vm_not_found",
                "No live VM is named " + Failure.excerpt(name, 60) + "; for a VM that is gone, ask by its vm_id."));
    return read(vm.name(), vm.vmId(), after).logs();
  }

  /** The output of a VM by its vm_id, live or gone; 404 when nothing is kept and no live VM has it. */
  public Logs logsByVmId(String vmId, long after) {
    KillCodes.requireVmId(vmId);
    requireAfter(after);
    Optional<Vm> live = fleet.liveWithVmId(vmId, clock.instant()).stream().findFirst();
    Page page = read(live.map(Vm::name).orElse(null), vmId, after);
    if (live.isEmpty() && after < 0 && page.nothingKept()) {
      throw new Failure(
          Failure.Kind.NOT_FOUND, "output_not_found",
          "No output is kept for vm_id " + vmId + " and no live VM has it (unknown, or expired from the output bucket).");
    }
    return page.logs();
  }

  private record Page(Logs logs, boolean nothingKept) {}

  /**
   * The chunks right after {@code after}, in seq order and without gaps: a chunk that arrives
   * late (out of order) is returned once the ones before it are there, never skipped.
   */
  private Page read(String name, String vmId, long after) {
    OutputStore s = store();
    OutputStore.Listing listing = s.listAfter(vmId, after, PAGE_CHUNKS);
    List<S3Object> taken = new ArrayList<>();
    long expected = after + 1;
    long bytes = 0;
    for (S3Object object : listing.chunks()) {
      if (s.seqOf(vmId, object.key()).filter(seq -> seq == expected + taken.size()).isEmpty()) {
        break;
      }
      if (!taken.isEmpty() && bytes + object.size() > PAGE_BYTES) {
        break;
      }
      taken.add(object);
      bytes += object.size();
    }
    List<Chunk> chunks = new ArrayList<>();
    List<String> texts = texts(s, taken);
    for (int i = 0; i < taken.size(); i++) {
      chunks.add(new Chunk(expected + i, texts.get(i)));
    }
    long next = after + taken.size();
    boolean done = listing.hasFinal() && s.finalSeq(vmId).map(f -> f <= next).orElse(false);
    Integer exitCode = listing.hasExitCode() ? s.exitCode(vmId).map(Long::intValue).orElse(null) : null;
    boolean nothingKept = listing.chunks().isEmpty() && !listing.hasFinal() && !listing.hasExitCode();
    return new Page(new Logs(name, vmId, chunks, next, done, exitCode), nothingKept);
  }

  /** The chunks' texts, read a few at a time: a long log of small chunks is many small reads. */
  private static List<String> texts(OutputStore s, List<S3Object> objects) {
    if (objects.size() <= 1) {
      return objects.stream().map(o -> s.text(o.key())).toList();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(READERS, objects.size()), r -> {
      Thread thread = new Thread(r, "thebacknd-logs-reader");
      thread.setDaemon(true);
      return thread;
    });
    try {
      List<Future<String>> reads = objects.stream().map(o -> pool.submit(() -> s.text(o.key()))).toList();
      List<String> texts = new ArrayList<>();
      for (Future<String> read : reads) {
        texts.add(read.get());
      }
      return texts;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading output", e);
    } finally {
      pool.shutdownNow();
    }
  }

  private OutputStore store() {
    return kept.orElseThrow(
        () -> new ConfigException("THEBACKND_OUTPUT_BUCKET is required for /output and /logs (the bucket, or bucket/prefix, output is kept in)"));
  }

  private static void requireAfter(long after) {
    if (after < -1 || after > OutputStore.MAX_SEQ) {
      throw Failure.badRequest("invalid_after", "after must be -1 (from the start) or the seq of a chunk already read.");
    }
  }
}
