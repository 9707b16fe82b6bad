package thebacknd.cache;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import thebacknd.Failure;
import thebacknd.aws.AwsErrors;

/** A cache in S3, read with GetObject (the SDK retries throttling and 5xx itself). */
public final class S3BinaryCache implements BinaryCache {

  static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  private final S3Client s3;
  private final CacheLocation.S3 location;

  public S3BinaryCache(S3Client s3, CacheLocation.S3 location) {
    this.s3 = s3;
    this.location = location;
  }

  @Override
  public Optional<String> read(String fileName) {
    GetObjectRequest request =
        GetObjectRequest.builder()
            .bucket(location.bucket())
            .key(location.key(fileName))
            .overrideConfiguration(c -> c.apiCallTimeout(CALL_TIMEOUT))
            .build();
    String where = location.describe(fileName);
    try (ResponseInputStream<GetObjectResponse> body = s3.getObject(request)) {
      byte[] bytes = body.readNBytes(MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        body.abort();
      }
      return Optional.of(BinaryCache.text(bytes, body.response().contentEncoding(), where));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404 && !"NoSuchBucket".equals(AwsErrors.errorCode(e).orElse(""))) {
        return Optional.empty();
      }
      throw BinaryCache.unreachable(AwsErrors.describe("S3 GetObject of " + where, e) + advice(e.statusCode()));
    } catch (SdkException e) {
      throw BinaryCache.unreachable(AwsErrors.describe("S3 GetObject of " + where, e));
    } catch (IOException e) {
      throw BinaryCache.unreachable("Cannot read " + where + ": " + Failure.excerpt(e.getMessage(), 200) + ".");
    }
  }

  private static String advice(int status) {
    if (status == 301) {
      return " The bucket is in another region: add ?region=… to NIX_CACHE.";
    }
    if (status == 403) {
      return " The reader needs s3:GetObject on the cache, and s3:ListBucket so that a missing path"
          + " answers 404 instead of 403.";
    }
    return "";
  }
}
