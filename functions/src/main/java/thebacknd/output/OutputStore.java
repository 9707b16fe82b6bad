package thebacknd.output;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import thebacknd.aws.AwsErrors;

/**
 * A VM's output as S3 objects, one per chunk, so it outlives the VM and its tags (the bucket's
 * lifecycle rule expires it):
 *
 * <pre>
 *   [prefix/]VM_ID/chunk/000000042   the text of chunk 42 (UTF-8); metadata "total": the bytes
 *                                    of chunks 0…42 together, when 0…41 were all there first
 *   [prefix/]VM_ID/exit-code         the program's exit code, as {@code report} received it
 *   [prefix/]VM_ID/final             the seq of the final chunk
 * </pre>
 *
 * Zero-padded seqs list in order, and "chunk/" sorts before "exit-code" and "final", so one
 * listing after a seq shows the chunks that follow and whether the other two exist.
 */
public final class OutputStore {

  /** The largest seq: nine digits in a key. At 64 KiB a chunk that is far beyond any output limit. */
  public static final long MAX_SEQ = 999_999_999L;

  static final String CHUNK = "chunk/";
  static final String EXIT_CODE = "exit-code";
  static final String FINAL = "final";
  private static final String TOTAL = "total";

  private final Supplier<S3Client> s3;
  private final OutputLocation where;

  public OutputStore(Supplier<S3Client> s3, OutputLocation where) {
    this.s3 = s3;
    this.where = where;
  }

  public OutputLocation location() {
    return where;
  }

  /** What one listing of a VM's objects after a seq shows. */
  record Listing(List<S3Object> chunks, boolean hasExitCode, boolean hasFinal, boolean truncated) {}

  // ------------------------------------------------------------------ writes

  /**
   * Stores chunk {@code seq} unless it is there already (S3's conditional write,
   * {@code If-None-Match: *}): a retried chunk is never rewritten. False when it was there.
   */
  /** @param total the bytes of chunks 0…seq, when known (see {@link #stored}) */
  boolean putChunkIfAbsent(String vmId, long seq, byte[] text, Optional<Long> total) {
    return putIfAbsent(chunkKey(vmId, seq), text, total.map(t -> Map.of(TOTAL, Long.toString(t))).orElse(Map.of()));
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

  public void putExitCode(String vmId, int exitCode) {
    put(where.key(vmId, EXIT_CODE), Integer.toString(exitCode));
  }

  private void put(String key, String text) {
    PutObjectRequest request =
        PutObjectRequest.builder().bucket(where.bucket()).key(key).contentType("text/plain; charset=utf-8").build();
    AwsErrors.call("S3", "PutObject", () -> s3.get().putObject(request, RequestBody.fromString(text, StandardCharsets.UTF_8)));
  }

  // ------------------------------------------------------------------ reads

  /** The "total" of a stored chunk; empty when the chunk is not stored (or has none). */
  Optional<Long> totalThrough(String vmId, long seq) {
    try {
      String total = s3.get().headObject(r -> r.bucket(where.bucket()).key(chunkKey(vmId, seq))).metadata().get(TOTAL);
      return total == null ? Optional.empty() : Optional.of(Long.parseLong(total));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw AwsErrors.failure("S3 HeadObject", e);
    } catch (NumberFormatException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw AwsErrors.failure("S3 HeadObject", e);
    }
  }

  /**
   * What a full listing says of the chunks stored besides {@code seq}: all their bytes; the bytes
   * of those before it; and whether all of those before it are there.
   */
  record Stored(long bytes, long bytesBefore, boolean allBefore) {}

  Stored stored(String vmId, long seq) {
    ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(where.bucket()).prefix(where.key(vmId, CHUNK)).build();
    List<S3Object> chunks =
        AwsErrors.call("S3", "ListObjectsV2", () -> s3.get().listObjectsV2Paginator(request).contents().stream().toList());
    long bytes = 0;
    long bytesBefore = 0;
    long countBefore = 0;
    for (S3Object chunk : chunks) {
      long other = seqOf(vmId, chunk.key()).orElse(-1L);
      if (other == seq || other < 0) {
        continue;
      }
      bytes += chunk.size();
      if (other < seq) {
        bytesBefore += chunk.size();
        countBefore++;
      }
    }
    return new Stored(bytes, bytesBefore, countBefore == seq);
  }

  /** The VM's objects after chunk {@code after} (-1: from the start), at most {@code max} keys. */
  Listing listAfter(String vmId, long after, int max) {
    ListObjectsV2Request.Builder request =
        ListObjectsV2Request.builder().bucket(where.bucket()).prefix(where.vmPrefix(vmId)).maxKeys(max);
    if (after >= 0) {
      request.startAfter(chunkKey(vmId, after));
    }
    ListObjectsV2Response listed = AwsErrors.call("S3", "ListObjectsV2", () -> s3.get().listObjectsV2(request.build()));
    String chunkPrefix = where.key(vmId, CHUNK);
    List<S3Object> chunks = new ArrayList<>();
    boolean exitCode = false;
    boolean fin = false;
    for (S3Object object : listed.contents()) {
      if (object.key().startsWith(chunkPrefix)) {
        chunks.add(object);
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
