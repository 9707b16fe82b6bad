package thebacknd.output;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.Tasks;
import thebacknd.config.ConfigException;
import thebacknd.vm.Fleet;
import thebacknd.vm.KillCodes;
import thebacknd.vm.Lease;
import thebacknd.vm.Leases;
import thebacknd.vm.Names;
import thebacknd.vm.Vm;

/**
 * What a VM gives back: its output chunks ({@code POST /output}, kill code, while its lease is
 * held), read back in order ({@code GET /logs}) while it lives and after it is gone, with its
 * exit code; by name too once it is gone, through the name index kept in the output bucket.
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
  private final Supplier<Leases> leases;
  private final Names names;
  private final Clock clock;
  private final long maxOutputBytes;

  /**
   * @param kept where output is kept; without it (no THEBACKND_OUTPUT_BUCKET) /output and /logs
   *     fail with a one-line configuration error and exit codes are kept as tags only
   */
  public OutputService(
      Optional<OutputStore> kept, KillCodes killCodes, Fleet fleet, Supplier<Leases> leases, Names names, Clock clock, long maxOutputBytes) {
    this.kept = kept;
    this.killCodes = killCodes;
    this.fleet = fleet;
    this.leases = leases;
    this.names = names;
    this.clock = clock;
    this.maxOutputBytes = maxOutputBytes;
  }

  // ------------------------------------------------------------------ POST /output

  /**
   * Keeps one chunk. The kill code is checked before anything is read or stored. A seq already
   * stored is acknowledged and not stored again (the agent retries with the same seq). Past
   * {@code THEBACKND_MAX_OUTPUT_KIB} the chunk is refused with 413 and nothing is stored; an
   * empty final chunk always fits, so the end of the output can still be marked. Nothing is
   * stored for a VM whose lease was released (410 {@code vm_gone}: it is gone), nor for a seq
   * after the stored final chunk (409 {@code output_closed}). Chunk 0 also records the VM's name
   * in the name index.
   */
  public Accepted accept(String vmId, String killCode, long seq, String text, boolean isFinal) {
    killCodes.require(vmId, killCode);
    Log.aboutVm(vmId);
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
    Lease lease = leases.get().ofVm(vmId).orElseThrow(() -> new Failure(
        Failure.Kind.GONE, "vm_gone", "The VM " + vmId + " is gone (its name was released); its output is closed."));
    // The chunk before holds the running total when the chunks came in order: one HEAD. Else
    // (chunk 0, or chunks overtaking each other: the agent keeps a few on their way at once)
    // a listing is summed, and the total is kept again once nothing before is missing. The
    // limit is thus exact but for chunks that overtook this one (at most the agent's window).
    Optional<OutputStore.ChunkFacts> previous = seq == 0 ? Optional.empty() : s.facts(vmId, seq - 1);
    if (previous.isPresent() && previous.get().isFinal()) {
      throw closed(seq, seq - 1);
    }
    Optional<Long> through = previous.flatMap(OutputStore.ChunkFacts::total);
    long before;
    Optional<Long> total;
    if (through.isPresent()) {
      before = through.get();
      total = Optional.of(before + bytes.length);
    } else {
      OutputStore.Stored stored = s.stored(vmId, seq);
      if (stored.hasFinal()) {
        Optional<Long> last = s.finalSeq(vmId);
        if (last.isPresent() && seq > last.get()) {
          throw closed(seq, last.get());
        }
      }
      before = stored.bytes();
      total = stored.allBefore() ? Optional.of(stored.bytesBefore() + bytes.length) : Optional.empty();
    }
    if (before + bytes.length > maxOutputBytes) {
      throw new Failure(
          Failure.Kind.TOO_LARGE, "output_too_large",
          "This VM's output reached the limit of " + maxOutputBytes / 1024 + " KiB (THEBACKND_MAX_OUTPUT_KIB); chunk "
              + seq + " was not kept.");
    }
    if (seq == 0) {
      s.keepName(lease.name(), vmId);
    }
    s.putChunkIfAbsent(vmId, seq, bytes, total, isFinal);
    if (isFinal) {
      s.putFinal(vmId, seq);
    }
    return new Accepted(vmId, seq);
  }

  private static Failure closed(long seq, long last) {
    return new Failure(
        Failure.Kind.CONFLICT, "output_closed", "The output ended at chunk " + last + " (the final one); chunk " + seq + " was not kept.");
  }

  // ------------------------------------------------------------------ GET /logs

  /**
   * The output of the VM called {@code name}: the one its lease names while it lives, else the
   * last one the name index recorded for it (a VM that is gone); 404 when neither knows the name.
   */
  public Logs logsByName(String name, long after) {
    requireAfter(after);
    OutputStore s = store();
    String vmId = names.lease(name).map(Lease::vmId)
        .or(() -> Vm.numberOf(name).isPresent() ? s.vmIdNamed(name) : Optional.empty())
        .orElseThrow(() -> new Failure(
            Failure.Kind.NOT_FOUND, "vm_not_found",
            "No VM named " + Failure.excerpt(name, 60) + " is known, live or gone; ask by its vm_id."));
    return read(name, vmId, after).logs();
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
    List<OutputStore.StoredChunk> taken = new ArrayList<>();
    long expected = after + 1;
    long bytes = 0;
    for (OutputStore.StoredChunk chunk : listing.chunks()) {
      if (chunk.seq() != expected + taken.size()) {
        break;
      }
      if (!taken.isEmpty() && bytes + chunk.bytes() > PAGE_BYTES) {
        break;
      }
      taken.add(chunk);
      bytes += chunk.bytes();
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
  private static List<String> texts(OutputStore s, List<OutputStore.StoredChunk> chunks) {
    if (chunks.size() <= 1) {
      return chunks.stream().map(c -> s.text(c.key())).toList();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(READERS, chunks.size()), r -> {
      Thread thread = new Thread(r, "thebacknd-logs-reader");
      thread.setDaemon(true);
      return thread;
    });
    try {
      List<Future<String>> reads = chunks.stream().map(c -> pool.submit(() -> s.text(c.key()))).toList();
      List<String> texts = new ArrayList<>();
      for (Future<String> read : reads) {
        texts.add(Tasks.await(read, "reading output"));
      }
      return texts;
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
