package thebacknd.output;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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

/**
 * What a VM gives back: its output chunks ({@code POST /output}, kill code, while its lease is
 * held), read back in order ({@code GET /logs}) while it lives and after it is gone, with its
 * exit code; by name too once it is gone, through the name index kept in the output bucket.
 */
public final class OutputService {

  /** The most text one chunk may carry, in UTF-8 bytes. */
  public static final int MAX_CHUNK_BYTES = 1024 * 1024;
  /**
   * The largest body of {@code POST /output}: a chunk's text as JSON escapes it (at most 2 MiB;
   * the agent cuts a chunk shorter when escaping would grow it past that) and the other fields.
   * API Gateway passes the body to Lambda inside its event, as base64 (4/3) or as a JSON string
   * (escaped again: at most twice as long), so the event stays under Lambda's 6 MB request limit.
   */
  public static final int MAX_BODY_BYTES = 2 * MAX_CHUNK_BYTES + 1024;
  /** Facts remembered by the warm function: names of vm_ids, and stored chunks' metadata. */
  private static final int REMEMBERED_NAMES = 1024;
  private static final int REMEMBERED_CHUNKS = 8192;
  /** The threads of the reads one request makes at once (a handful: HEADs, the lease, chunks). */
  static final ExecutorService AT_ONCE = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "thebacknd-output-read");
    thread.setDaemon(true);
    return thread;
  });

  public record Accepted(String vmId, long seq) {}

  public record Chunk(long seq, String text) {}

  /** The answer of {@code GET /logs}; {@code next} is the {@code after} of the next call. */
  public record Logs(String name, String vmId, List<Chunk> chunks, long next, boolean done, Integer exitCode) {}

  private final Optional<OutputStore> kept;
  private final KillCodes killCodes;
  private final Supplier<Leases> leases;
  private final long maxOutputBytes;
  private final LogsReader logsReader;
  /** The name each vm_id was given (it never changes; its lease may be released). */
  private final Remembered<String, String> nameOfVm = new Remembered<>(REMEMBERED_NAMES);
  /** What stored chunks' metadata says (a chunk is written once, never rewritten). */
  private final Remembered<ChunkOf, OutputStore.ChunkFacts> chunkFacts = new Remembered<>(REMEMBERED_CHUNKS);

  /** The chunks this function is storing now: their bytes, and whether each is the final one. */
  private final Map<ChunkOf, Storing> inFlight = new ConcurrentHashMap<>();

  private record Storing(long bytes, boolean isFinal) {}

  /** The first seq of each VM this function refused as over the limit. */
  private final Remembered<String, Long> refusedFrom = new Remembered<>(REMEMBERED_NAMES);

  private record ChunkOf(String vmId, long seq) {}

  /**
   * @param kept where output is kept; without it (no THEBACKND_OUTPUT_BUCKET) /output and /logs
   *     fail with a one-line configuration error and exit codes are kept as tags only
   */
  public OutputService(
      Optional<OutputStore> kept, KillCodes killCodes, Fleet fleet, Supplier<Leases> leases, Names names, Clock clock, long maxOutputBytes) {
    this.kept = kept;
    this.killCodes = killCodes;
    this.leases = leases;
    this.maxOutputBytes = maxOutputBytes;
    this.logsReader = new LogsReader(this::store, fleet, names, clock);
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
    ChunkOf chunk = new ChunkOf(vmId, seq);
    inFlight.put(chunk, new Storing(bytes.length, isFinal));
    try {
      return keep(store(), chunk, bytes, isFinal);
    } finally {
      inFlight.remove(chunk);
    }
  }

  private Accepted keep(OutputStore s, ChunkOf chunk, byte[] bytes, boolean isFinal) {
    String vmId = chunk.vmId();
    long seq = chunk.seq();
    // Two reads at once: whether the VM still holds its lease, and the chunk before (unless
    // remembered).
    Future<Optional<Lease>> held = AT_ONCE.submit(() -> leaseOf(vmId));
    Future<Optional<OutputStore.ChunkFacts>> previous = seq == 0 ? null : factsLater(s, vmId, seq - 1);
    Lease lease = awaitAll(held).orElseThrow(() -> new Failure(
        Failure.Kind.GONE, "vm_gone", "The VM " + vmId + " is gone (its name was released); its output is closed."));
    // The chunk before holds the running total when the chunks came in order: one HEAD. When
    // chunks overtook each other (the agent keeps a few on their way at once), the nearest one
    // before that holds a total or a bound of it, a few HEADs back, gives a bound: each chunk not
    // stored yet counted full. Far from the limit a bound suffices, and is kept for the next
    // chunks. Else (chunk 0, or near the limit) a listing is summed, and the exact total is kept
    // again once nothing before is missing. The limit is thus exact but for chunks that overtook
    // this one (at most the agent's window).
    Optional<OutputStore.Through> behind = seq == 0 ? Optional.empty() : lookBack(s, vmId, seq, awaitAll(previous));
    long before;
    Optional<OutputStore.Through> through;
    Optional<Long> refused = refusedFrom.get(vmId);
    boolean emptyFinal = bytes.length == 0 && isFinal;
    if (!emptyFinal && refused.isPresent() && seq > refused.get() && awaitAll(factsLater(s, vmId, refused.get())).isEmpty()) {
      // After a chunk refused as over the limit and not sent again smaller: refused too, so that
      // what is kept stays the start of the output (the agent may then fill the rest in smaller
      // chunks from the refused one on).
      throw tooLarge(vmId, seq);
    }
    if (behind.isPresent() && behind.get().bytes() + bytes.length <= maxOutputBytes) {
      before = behind.get().bytes();
      through = Optional.of(new OutputStore.Through(before + bytes.length, behind.get().exact()));
    } else {
      OutputStore.Stored stored = s.stored(vmId, seq);
      if (stored.hasFinal()) {
        Optional<Long> last = s.finalSeq(vmId);
        if (last.isPresent() && seq > last.get()) {
          throw closed(seq, last.get());
        }
      }
      // Near the limit: what is stored, and what this function is storing right now of the VM's
      // chunks before this one (sent at once with it), so that they cannot all pass.
      before = stored.bytes() + storingBefore(chunk);
      through = stored.allBefore() ? Optional.of(new OutputStore.Through(stored.bytesBefore() + bytes.length, true)) : Optional.empty();
    }
    if (before + bytes.length > maxOutputBytes) {
      throw tooLarge(vmId, seq);
    }
    if (seq == 0) {
      s.keepName(lease.name(), vmId);
    }
    boolean stored = s.putChunkIfAbsent(vmId, seq, bytes, through, isFinal);
    inFlight.remove(chunk); // a listing shows it from now on
    if (stored) {
      chunkFacts.put(chunk, new OutputStore.ChunkFacts(
          bytes.length,
          through.filter(OutputStore.Through::exact).map(OutputStore.Through::bytes),
          through.filter(t -> !t.exact()).map(OutputStore.Through::bytes),
          isFinal));
    }
    if (isFinal) {
      s.putFinal(vmId, seq);
    }
    return new Accepted(vmId, seq);
  }

  private Failure tooLarge(String vmId, long seq) {
    refusedFrom.put(vmId, Math.min(seq, refusedFrom.get(vmId).orElse(seq)));
    return new Failure(
        Failure.Kind.TOO_LARGE, "output_too_large",
        "This VM's output reached the limit of " + maxOutputBytes / 1024 + " KiB (THEBACKND_MAX_OUTPUT_KIB); chunk "
            + seq + " was not kept.");
  }

  /** The bytes of the chunks before {@code chunk} of the same VM this function is storing right now. */
  private long storingBefore(ChunkOf chunk) {
    return inFlight.entrySet().stream()
        .filter(e -> e.getKey().vmId().equals(chunk.vmId()) && e.getKey().seq() < chunk.seq())
        .mapToLong(e -> e.getValue().bytes())
        .sum();
  }

  /**
   * The lease {@code vmId} holds: one consistent GetItem of its name once this function knows the
   * name, else a consistent Scan for the vm_id (which then tells the name). Empty once released.
   */
  private Optional<Lease> leaseOf(String vmId) {
    Optional<Lease> byName = nameOfVm.get(vmId).flatMap(name -> leases.get().named(name)).filter(l -> vmId.equals(l.vmId()));
    if (byName.isPresent()) {
      return byName;
    }
    Optional<Lease> found = leases.get().ofVm(vmId);
    found.ifPresent(l -> nameOfVm.put(vmId, l.name()));
    return found;
  }

  /**
   * What chunk {@code seq}'s metadata says, remembered or read by a HEAD (started now). A chunk
   * this function is storing right now is not there yet, as a HEAD would say, without asking;
   * unless it is the final one, which closes the output as if it were stored.
   */
  private Future<Optional<OutputStore.ChunkFacts>> factsLater(OutputStore s, String vmId, long seq) {
    ChunkOf chunk = new ChunkOf(vmId, seq);
    Optional<OutputStore.ChunkFacts> known = chunkFacts.get(chunk);
    if (known.isPresent()) {
      return CompletableFuture.completedFuture(known);
    }
    Storing storing = inFlight.get(chunk);
    if (storing != null) {
      return CompletableFuture.completedFuture(
          storing.isFinal() ? Optional.of(new OutputStore.ChunkFacts(0, Optional.empty(), Optional.empty(), true)) : Optional.empty());
    }
    return AT_ONCE.submit(() -> {
      Optional<OutputStore.ChunkFacts> read = s.facts(vmId, seq);
      read.ifPresent(f -> chunkFacts.put(chunk, f));
      return read;
    });
  }

  /** How far back a chunk looks for one holding a running total or a bound: beyond the agent's window. */
  static final int LOOK_BACK = 8;

  /**
   * The bytes of the chunks before {@code seq}, from the nearest one (at most {@link #LOOK_BACK}
   * back) that holds a running total or a bound and the ones after it: exact when that one holds a
   * total and none between is missing, else a bound (a missing one counted full). The chunk
   * before comes read ({@code previous}); then the three before it are read at once, then the
   * rest of the way. Empty when none within
   * reach holds either. A stored final chunk before {@code seq} closes the output (409).
   */
  private Optional<OutputStore.Through> lookBack(
      OutputStore s, String vmId, long seq, Optional<OutputStore.ChunkFacts> previous) {
    List<Future<Optional<OutputStore.ChunkFacts>>> further = new ArrayList<>();
    long between = 0;
    long missing = 0;
    long oldest = Math.max(0, seq - LOOK_BACK);
    for (long other = seq - 1; other >= oldest; other--) {
      Optional<OutputStore.ChunkFacts> facts;
      if (other == seq - 1) {
        facts = previous;
      } else {
        int index = (int) (seq - 2 - other);
        if (index == further.size()) {
          // The next round, read at once: the three before, then the rest of the way.
          long until = Math.max(oldest, index == 0 ? other - 2 : oldest);
          for (long ahead = other; ahead >= until; ahead--) {
            further.add(factsLater(s, vmId, ahead));
          }
        }
        facts = awaitAll(further.get(index));
      }
      if (facts.isEmpty()) {
        missing++;
        continue;
      }
      OutputStore.ChunkFacts f = facts.get();
      if (f.isFinal()) {
        further.forEach(r -> r.cancel(true));
        throw closed(seq, other);
      }
      Optional<Long> known = f.total().or(f::bound);
      if (known.isPresent()) {
        further.forEach(r -> r.cancel(true));
        boolean exact = f.total().isPresent() && missing == 0;
        return Optional.of(new OutputStore.Through(known.get() + between + missing * MAX_CHUNK_BYTES, exact));
      }
      between += f.bytes();
    }
    return Optional.empty();
  }

  /** A read started on {@link #AT_ONCE}; its own exception if it failed. */
  static <T> T awaitAll(Future<T> read) {
    try {
      return Tasks.await(read, "reading output");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading output", e);
    }
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
    return logsReader.byName(name, after);
  }

  /** The output of a VM by its vm_id, live or gone; 404 when nothing is kept and no live VM has it. */
  public Logs logsByVmId(String vmId, long after) {
    return logsReader.byVmId(vmId, after);
  }

  private OutputStore store() {
    return kept.orElseThrow(
        () -> new ConfigException("THEBACKND_OUTPUT_BUCKET is required for /output and /logs (the bucket, or bucket/prefix, output is kept in)"));
  }
}
