package thebacknd.output;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import thebacknd.aws.AwsErrors;
import thebacknd.vm.Results;

/**
 * A VM's output as S3 objects, one per chunk, so it outlives the VM and its tags (the bucket's
 * lifecycle rule expires it):
 *
 * <pre>
 *   [prefix/]VM_ID/chunk/000000042   the text of chunk 42 (UTF-8); metadata "total": the bytes
 *                                    of chunks 0…42 together, when 0…41 were all there first;
 *                                    else "bound": at least that many (chunks still on their way
 *                                    counted full)
 *   [prefix/]VM_ID/exit-code         the program's exit code, as {@code report} received it
 *   [prefix/]VM_ID/final             the seq of the final chunk (which also carries metadata
 *                                    "final": "true")
 *   [prefix/]names/NAME              the vm_id NAME was last given to (for logs by name of a VM
 *                                    that is gone)
 * </pre>
 *
 * Zero-padded seqs list in order, and "chunk/" sorts before "exit-code" and "final", so one
 * listing after a seq shows the chunks that follow and whether the other two exist.
 */
public final class OutputStore implements Results {

  /** The largest seq: nine digits in a key. At 64 KiB a chunk that is far beyond any output limit. */
  public static final long MAX_SEQ = 999_999_999L;

  static final String CHUNK = "chunk/";
  static final String EXIT_CODE = "exit-code";
  static final String FINAL = "final";
  private static final String TOTAL = "total";
  private static final String BOUND = "bound";
  private static final String IS_FINAL = "final";
  static final String NAMES = "names/";

  private final Supplier<S3Client> s3;
  private final OutputLocation where;

  public OutputStore(Supplier<S3Client> s3, OutputLocation where) {
    this.s3 = s3;
    this.where = where;
  }

  public OutputLocation location() {
    return where;
  }

  /** One stored chunk as a listing shows it: its seq, its key and its size in bytes. */
  record StoredChunk(long seq, String key, long bytes) {}

  /** What one listing of a VM's objects after a seq shows. */
  record Listing(List<StoredChunk> chunks, boolean hasExitCode, boolean hasFinal, boolean truncated) {}

  /**
   * What a stored chunk's HEAD says: its size, the running total through it (when known), else a
   * bound of it (at least that many), and whether it is the final one.
   */
  record ChunkFacts(long bytes, Optional<Long> total, Optional<Long> bound, boolean isFinal) {}

  /** The bytes of chunks 0…seq: exactly, or at most (a bound). */
  record Through(long bytes, boolean exact) {}

  // ------------------------------------------------------------------ writes

  /**
   * Stores chunk {@code seq} unless it is there already (S3's conditional write,
   * {@code If-None-Match: *}): a retried chunk is never rewritten. False when it was there.
   */
  /** @param through the bytes of chunks 0…seq, exactly or at most, when known (see {@link #stored}) */
  boolean putChunkIfAbsent(String vmId, long seq, byte[] text, Optional<Through> through, boolean isFinal) {
    Map<String, String> metadata = new HashMap<>();
    through.ifPresent(t -> metadata.put(t.exact() ? TOTAL : BOUND, Long.toString(t.bytes())));
    if (isFinal) {
      metadata.put(IS_FINAL, "true");
    }
    return putIfAbsent(chunkKey(vmId, seq), text, metadata);
  }

  /** Marks the end of the output at {@code seq}; the first mark stays (a second `boot` cannot move it). */
  void putFinal(String vmId, long seq) {
    putIfAbsent(where.key(vmId, FINAL), Long.toString(seq).getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** S3's conditional write ({@code If-None-Match: *}); false when the key was already there. */
  private boolean putIfAbsent(String key, byte[] content, Map<String, String> metadata) {
    PutObjectRequest request =
        PutObjectRequest.builder()
            .bucket(where.bucket())
            .key(key)
            .ifNoneMatch("*")
            .contentType("text/plain; charset=utf-8")
            .metadata(metadata)
            .build();
    try {
      s3.get().putObject(request, RequestBody.fromBytes(content));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        return false;
      }
      throw AwsErrors.failure("S3 PutObject", e);
    } catch (SdkException e) {
      throw AwsErrors.failure("S3 PutObject", e);
    }
  }

  @Override
  public void keepExitCode(String vmId, int exitCode) {
    put(where.key(vmId, EXIT_CODE), Integer.toString(exitCode));
  }

  @Override
  public void keepName(String name, String vmId) {
    put(where.nameKey(name), vmId);
  }

  /** The vm_id {@code name} was last given to, as {@link #keepName} kept it; empty when none was. */
  Optional<String> vmIdNamed(String name) {
    try {
      String vmId = s3.get().getObjectAsBytes(r -> r.bucket(where.bucket()).key(where.nameKey(name))).asString(StandardCharsets.UTF_8);
      return Optional.of(vmId.strip()).filter(id -> !id.isEmpty());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw AwsErrors.failure("S3 GetObject", e);
    }
  }

  private void put(String key, String text) {
    PutObjectRequest request =
        PutObjectRequest.builder().bucket(where.bucket()).key(key).contentType("text/plain; charset=utf-8").build();
    AwsErrors.call("S3", "PutObject", () -> s3.get().putObject(request, RequestBody.fromString(text, StandardCharsets.UTF_8)));
  }

  // ------------------------------------------------------------------ reads

  /** What a stored chunk's metadata says; empty when the chunk is not stored. */
  Optional<ChunkFacts> facts(String vmId, long seq) {
    try {
      HeadObjectResponse head = s3.get().headObject(r -> r.bucket(where.bucket()).key(chunkKey(vmId, seq)));
      Map<String, String> metadata = head.metadata();
      long bytes = head.contentLength() == null ? 0 : head.contentLength();
      return Optional.of(new ChunkFacts(
          bytes, number(metadata.getOrDefault(TOTAL, "")), number(metadata.getOrDefault(BOUND, "")), "true".equals(metadata.get(IS_FINAL))));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw AwsErrors.failure("S3 HeadObject", e);
    } catch (SdkException e) {
      throw AwsErrors.failure("S3 HeadObject", e);
    }
  }

  /**
   * What a full listing says of the chunks stored besides {@code seq}: all their bytes; the bytes
   * of those before it; whether all of those before it are there; whether the end is marked.
   */
  record Stored(long bytes, long bytesBefore, boolean allBefore, boolean hasFinal) {}

  Stored stored(String vmId, long seq) {
    ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(where.bucket()).prefix(where.vmPrefix(vmId)).build();
    List<S3Object> objects =
        AwsErrors.call("S3", "ListObjectsV2", () -> s3.get().listObjectsV2Paginator(request).contents().stream().toList());
    long bytes = 0;
    long bytesBefore = 0;
    long countBefore = 0;
    boolean hasFinal = false;
    for (S3Object object : objects) {
      hasFinal |= object.key().equals(where.key(vmId, FINAL));
      long other = seqOf(vmId, object.key()).orElse(-1L);
      if (other == seq || other < 0) {
        continue;
      }
      bytes += object.size();
      if (other < seq) {
        bytesBefore += object.size();
        countBefore++;
      }
    }
    return new Stored(bytes, bytesBefore, countBefore == seq, hasFinal);
  }

  /** The VM's objects after chunk {@code after} (-1: from the start), at most {@code max} keys. */
  Listing listAfter(String vmId, long after, int max) {
    ListObjectsV2Request.Builder request =
        ListObjectsV2Request.builder().bucket(where.bucket()).prefix(where.vmPrefix(vmId)).maxKeys(max);
    if (after >= 0) {
      request.startAfter(chunkKey(vmId, after));
    }
    ListObjectsV2Response listed = AwsErrors.call("S3", "ListObjectsV2", () -> s3.get().listObjectsV2(request.build()));
    List<StoredChunk> chunks = new ArrayList<>();
    boolean exitCode = false;
    boolean fin = false;
    for (S3Object object : listed.contents()) {
      Optional<Long> seq = seqOf(vmId, object.key());
      if (seq.isPresent()) {
        chunks.add(new StoredChunk(seq.get(), object.key(), object.size()));
      } else if (object.key().equals(where.key(vmId, EXIT_CODE))) {
        exitCode = true;
      } else if (object.key().equals(where.key(vmId, FINAL))) {
        fin = true;
      }
    }
    return new Listing(chunks, exitCode, fin, Boolean.TRUE.equals(listed.isTruncated()));
  }

  String text(String key) {
    return AwsErrors.call(
        "S3", "GetObject", () -> s3.get().getObjectAsBytes(r -> r.bucket(where.bucket()).key(key)).asString(StandardCharsets.UTF_8));
  }

  Optional<Long> finalSeq(String vmId) {
    return number(text(where.key(vmId, FINAL)));
  }

  Optional<Long> exitCode(String vmId) {
    return number(text(where.key(vmId, EXIT_CODE)));
  }

  /** The seq of a chunk key, or empty for a key that is not one. */
  Optional<Long> seqOf(String vmId, String key) {
    String prefix = where.key(vmId, CHUNK);
    return key.startsWith(prefix) ? number(key.substring(prefix.length())) : Optional.empty();
  }

  String chunkKey(String vmId, long seq) {
    return where.key(vmId, CHUNK + String.format("%09d", seq));
  }

  private static Optional<Long> number(String text) {
    try {
      return Optional.of(Long.parseLong(text.strip()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
