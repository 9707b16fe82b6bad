package thebacknd.output;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import thebacknd.Failure;
import thebacknd.Tasks;
import thebacknd.output.OutputService.Chunk;
import thebacknd.output.OutputService.Logs;
import thebacknd.vm.Fleet;
import thebacknd.vm.KillCodes;
import thebacknd.vm.Lease;
import thebacknd.vm.Names;
import thebacknd.vm.Vm;

/** {@code GET /logs} for {@link OutputService}: a VM's kept output read back in order, a page at a time. */
final class LogsReader {

  /**
   * Per /logs answer: at most this many chunks, and about this much text as JSON escapes it (at
   * least one chunk). Lambda's answer carries that JSON as a string, escaped again (at most twice
   * as long): 5 MiB, under its 6 MB response limit.
   */
  static final int PAGE_CHUNKS = 100;
  static final int PAGE_BYTES = 5 * 1024 * 1024 / 2;
  /** Chunks read from S3 at once for one answer. */
  private static final int READERS = 8;

  private final Supplier<OutputStore> store;
  private final Fleet fleet;
  private final Names names;
  private final Clock clock;

  /** @param store where output is kept (asked for only once the request is known to be valid) */
  LogsReader(Supplier<OutputStore> store, Fleet fleet, Names names, Clock clock) {
    this.store = store;
    this.fleet = fleet;
    this.names = names;
    this.clock = clock;
  }

  /**
   * The output of the VM called {@code name}: the one its lease names while it lives, else the
   * last one the name index recorded for it (a VM that is gone); 404 when neither knows the name.
   */
  Logs byName(String name, long after) {
    requireAfter(after);
    OutputStore s = store.get();
    String vmId = names.lease(name).map(Lease::vmId)
        .or(() -> Vm.numberOf(name).isPresent() ? s.vmIdNamed(name) : Optional.empty())
        .orElseThrow(() -> new Failure(
            Failure.Kind.NOT_FOUND, "vm_not_found",
            "No VM named " + Failure.excerpt(name, 60) + " is known, live or gone; ask by its vm_id."));
    return read(name, vmId, after).logs();
  }

  /** The output of a VM by its vm_id, live or gone; 404 when nothing is kept and no live VM has it. */
  Logs byVmId(String vmId, long after) {
    KillCodes.requireVmId(vmId);
    requireAfter(after);
    // Which live VM has it (for its name), asked while the output is read.
    Future<Optional<Vm>> liveRead = OutputService.AT_ONCE.submit(() -> fleet.liveWithVmId(vmId, clock.instant()).stream().findFirst());
    Page page = read(null, vmId, after);
    Optional<Vm> live = OutputService.awaitAll(liveRead);
    if (live.isEmpty() && after < 0 && page.nothingKept()) {
      throw new Failure(
          Failure.Kind.NOT_FOUND, "output_not_found",
          "No output is kept for vm_id " + vmId + " and no live VM has it (unknown, or expired from the output bucket).");
    }
    Logs logs = page.logs();
    return new Logs(live.map(Vm::name).orElse(null), vmId, logs.chunks(), logs.next(), logs.done(), logs.exitCode());
  }

  private record Page(Logs logs, boolean nothingKept) {}

  /**
   * The chunks right after {@code after}, in seq order and without gaps: a chunk that arrives
   * late (out of order) is returned once the ones before it are there, never skipped.
   */
  private Page read(String name, String vmId, long after) {
    OutputStore s = store.get();
    OutputStore.Listing listing = s.listAfter(vmId, after, PAGE_CHUNKS);
    // The output ends at the final chunk: one stored after it (it overtook a chunk refused as over
    // the limit, at whose seq the final one then came) is never shown.
    Optional<Long> finalSeq = listing.hasFinal() ? s.finalSeq(vmId) : Optional.empty();
    List<OutputStore.StoredChunk> taken = new ArrayList<>();
    long expected = after + 1;
    long bytes = 0;
    for (OutputStore.StoredChunk chunk : listing.chunks()) {
      if (chunk.seq() != expected + taken.size() || finalSeq.filter(f -> chunk.seq() > f).isPresent()) {
        break;
      }
      if (!taken.isEmpty() && bytes + chunk.bytes() > PAGE_BYTES) {
        break;
      }
      taken.add(chunk);
      bytes += chunk.bytes();
    }
    // The texts and the exit code, read at once.
    Future<Optional<Long>> exitCodeRead = listing.hasExitCode() ? OutputService.AT_ONCE.submit(() -> s.exitCode(vmId)) : null;
    List<String> texts = texts(s, taken);
    List<Chunk> chunks = new ArrayList<>();
    long escaped = 0;
    for (int i = 0; i < taken.size(); i++) {
      // The answer's size is what JSON makes of the texts: escapes can grow them six-fold.
      escaped += escapedLength(texts.get(i));
      if (!chunks.isEmpty() && escaped > PAGE_BYTES) {
        break;
      }
      chunks.add(new Chunk(expected + i, texts.get(i)));
    }
    long next = after + chunks.size();
    boolean done = finalSeq.map(f -> f <= next).orElse(false);
    Integer exitCode = exitCodeRead == null ? null : OutputService.awaitAll(exitCodeRead).map(Long::intValue).orElse(null);
    boolean nothingKept = listing.chunks().isEmpty() && !listing.hasFinal() && !listing.hasExitCode();
    return new Page(new Logs(name, vmId, chunks, next, done, exitCode), nothingKept);
  }

  /** The bytes of {@code text} as a JSON string (between its quotes), as Jackson writes it. */
  static long escapedLength(String text) {
    long length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
        length += 2;
      } else if (c < 0x20) {
        length += 6;
      } else if (c < 0x80) {
        length += 1;
      } else if (c < 0x800 || Character.isSurrogate(c)) {
        length += 2; // a surrogate pair: four bytes together
      } else {
        length += 3;
      }
    }
    return length;
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

  private static void requireAfter(long after) {
    if (after < -1 || after > OutputStore.MAX_SEQ) {
      throw Failure.badRequest("invalid_after", "after must be -1 (from the start) or the seq of a chunk already read.");
    }
  }
}
