package thebacknd.cli;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import thebacknd.Failure;
import thebacknd.config.ConfigException;

/**
 * Signs API requests with SigV4 ({@code execute-api}), as API Gateway's IAM authorizer expects,
 * with the SDK's signer and the caller's default credentials. Its own class so that the AWS SDK is
 * loaded only by a command that signs.
 */
final class SigV4 {

  /** Headers the JDK's HTTP client sets itself and refuses from callers. */
  private static final List<String> RESTRICTED = List.of("host", "content-length", "connection");

  private final String region;
  private AwsCredentialsIdentity credentials;

  SigV4(String region) {
    this.region = region;
  }

  /** The headers to add to the request: the signature, its date, the session token if any. */
  Map<String, String> headers(String method, URI uri, Map<String, String> query, String body) {
    SdkHttpRequest.Builder unsigned =
        SdkHttpRequest.builder()
            .uri(uri)
            .method(SdkHttpMethod.fromValue(method))
            .putHeader("Content-Type", "application/json");
    // The signature covers the query string too; the builder takes its parameters unencoded.
    query.forEach(unsigned::putRawQueryParameter);
    SignedRequest signed =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(credentials())
                        .request(unsigned.build())
                        .payload(ContentStreamProvider.fromUtf8String(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, region));
    Map<String, String> headers = new LinkedHashMap<>();
    signed.request().headers().forEach((name, values) -> {
      if (!RESTRICTED.contains(name.toLowerCase()) && !values.isEmpty()) {
        headers.put(name, values.get(0));
      }
    });
    return headers;
  }

  /** The caller's credentials from the SDK's default chain; none is a configuration error (exit 2). */
  private AwsCredentialsIdentity credentials() {
    if (credentials == null) {
      try (DefaultCredentialsProvider provider = DefaultCredentialsProvider.builder().build()) {
        credentials = provider.resolveCredentials();
      } catch (SdkClientException e) {
        throw new ConfigException(
            "no AWS credentials found to sign the request (" + Failure.excerpt(e.getMessage(), 120) + ")");
      }
    }
    return credentials;
  }
}
