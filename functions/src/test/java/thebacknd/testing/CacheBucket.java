package thebacknd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import thebacknd.cache.StorePath;

/**
 * A Nix binary cache in a moto bucket, readable both ways a cache is read: {@link #s3Url} through
 * the S3 API, and {@link #httpUrl} anonymously, path-style, as Nix on a test VM reads it. Objects
 * are public-read (moto enforces ACLs on anonymous requests); the bucket is created
 * public-read-write so {@code nix copy --to <httpUrl>} can push into it with HTTP PUTs too.
 */
public final class CacheBucket {

  private static final int UPLOAD_THREADS = 16;

  private final S3Client s3;
  private final String name;

  private CacheBucket(S3Client s3, String name) {
    this.s3 = s3;
    this.name = name;
  }

  /** Creates the bucket in moto. */
  public static CacheBucket create(String name) {
    S3Client s3 = Moto.clients().s3();
    s3.createBucket(b -> b.bucket(name).acl(BucketCannedACL.PUBLIC_READ_WRITE));
    return new CacheBucket(s3, name);
  }

  public String name() {
    return name;
  }

  public String s3Url() {
    return "s3://" + name + "?region=us-east-1";
  }

  public String httpUrl() {
    return Moto.endpoint() + "/" + name;
  }

  /** Uploads every file under {@code cacheDir} (as written by {@code nix copy --to file://…}). */
  public CacheBucket upload(Path cacheDir) {
    try (Stream<Path> files = Files.walk(cacheDir)) {
      List<Path> regular = files.filter(Files::isRegularFile).toList();
      parallel(regular, file -> put(cacheDir.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file)));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Uploads {@code files} (key → text) with a few threads: thousands of synthetic narinfos. */
  public CacheBucket upload(Map<String, String> files) {
    parallel(List.copyOf(files.entrySet()), e -> put(e.getKey(), e.getValue()));
    return this;
  }

  public void put(String key, String text) {
    put(key, text.getBytes(StandardCharsets.UTF_8));
  }

  public void put(String key, byte[] bytes) {
    s3.putObject(b -> b.bucket(name).key(key).acl(ObjectCannedACL.PUBLIC_READ), RequestBody.fromBytes(bytes));
  }

  public String get(String key) {
    return s3.getObjectAsBytes(b -> b.bucket(name).key(key)).asUtf8String();
  }

  public void delete(String key) {
    s3.deleteObject(b -> b.bucket(name).key(key));
  }

  /** Rewrites the narinfo of {@code path} in place, as someone editing it after signing would. */
  public void editNarinfo(StorePath path, UnaryOperator<String> edit) {
    String key = path.narinfoName();
    String before = get(key);
    String after = edit.apply(before);
    if (after.equals(before)) {
      throw new AssertionError("the edit changed nothing in " + key + ":\n" + before);
    }
    put(key, after);
  }

  public void deleteNarinfo(StorePath path) {
    delete(path.narinfoName());
  }

  /** Replaces one {@code Name: value} line of the narinfo of {@code path}. */
  public void setNarinfoField(StorePath path, String field, String value) {
    editNarinfo(path, text -> text.replaceFirst("(?m)^" + field + ": .*$", field + ": " + value.replace("$", "\\$")));
  }

  private interface Upload<T> {
    void apply(T item) throws IOException;
  }

  private static <T> void parallel(List<T> items, Upload<T> upload) {
    ExecutorService pool = Executors.newFixedThreadPool(UPLOAD_THREADS);
    try {
      List<Future<Object>> done =
          items.stream().map(item -> pool.submit(() -> {
            upload.apply(item);
            return null;
          })).toList();
      for (Future<Object> future : done) {
        future.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException("upload to moto failed", e);
    } finally {
      pool.shutdownNow();
    }
  }
}
