package thebacknd.aws;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import thebacknd.Lazy;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * One AWS client of each kind, built on first use and then reused for the life of the process
 * (a Lambda container, the local server, one CLI run). They share one URL-connection HTTP client;
 * each retries and times out as {@link Retries} says for its service.
 *
 * <p>An emulator is just an endpoint: {@code AWS_ENDPOINT_URL} (or the constructor argument)
 * points every client at it, and S3 then uses path-style addressing.
 */
public final class AwsClients implements AutoCloseable {

  private final Optional<Region> region;
  private final Optional<URI> endpoint;
  private final Lazy<SdkHttpClient> http;
  /** Whether {@link #http} is ours to close (not a client the caller lent). */
  private final boolean ownsHttp;
  /** Empty: the SDK's default chain. */
  private final Optional<AwsCredentialsProvider> credentials;
  private final Lazy<Ec2Client> ec2 = Lazy.of(this::buildEc2);
  private final Lazy<S3Client> s3 = Lazy.of(this::buildS3);
  private final Lazy<SecretsManagerClient> secrets = Lazy.of(this::buildSecrets);
  private final Lazy<DynamoDbClient> dynamoDb = Lazy.of(this::buildDynamoDb);

  public AwsClients(Optional<Region> region, Optional<URI> endpoint) {
    this(region, endpoint, Lazy.of(() -> UrlConnectionHttpClient.builder().build()), true, Optional.empty());
  }

  private AwsClients(
      Optional<Region> region,
      Optional<URI> endpoint,
      Lazy<SdkHttpClient> http,
      boolean ownsHttp,
      Optional<AwsCredentialsProvider> credentials) {
    this.region = region;
    this.endpoint = endpoint;
    this.http = http;
    this.ownsHttp = ownsHttp;
    this.credentials = credentials;
  }

  /**
   * Clients that send every request to {@code http} with {@code credentials}, never to AWS or
   * the credential chain: SnapStart priming runs the real code paths against a canned HTTP client.
   */
  public static AwsClients over(SdkHttpClient http, AwsCredentialsProvider credentials, Optional<Region> region) {
    return new AwsClients(region, Optional.empty(), Lazy.of(() -> http), false, Optional.of(credentials));
  }

  /** Region and endpoint from the standard SDK environment variables. */
  public static AwsClients fromEnvironment(Map<String, String> env) {
    Optional<Region> region =
        Optional.ofNullable(env.get("AWS_REGION"))
            .or(() -> Optional.ofNullable(env.get("AWS_DEFAULT_REGION")))
            .filter(r -> !r.isBlank())
            .map(Region::of);
    Optional<URI> endpoint =
        Optional.ofNullable(env.get("AWS_ENDPOINT_URL"))
            .filter(u -> !u.isBlank())
            .map(URI::create);
    return new AwsClients(region, endpoint);
  }

  public Ec2Client ec2() {
    return ec2.get();
  }

  public S3Client s3() {
    return s3.get();
  }

  /**
   * An S3 client for a bucket in another region or behind another endpoint than the default
   * ({@code NIX_CACHE}'s {@code region=} and {@code endpoint=}); the shared one when neither differs.
   */
  public S3Client s3(Optional<Region> bucketRegion, Optional<URI> bucketEndpoint) {
    Optional<Region> r = bucketRegion.or(() -> region);
    Optional<URI> e = bucketEndpoint.or(() -> endpoint);
    return r.equals(region) && e.equals(endpoint) ? s3() : buildS3(r, e);
  }

  public SecretsManagerClient secretsManager() {
    return secrets.get();
  }

  public DynamoDbClient dynamoDb() {
    return dynamoDb.get();
  }

  /** Closes the clients built so far (a Lambda container never does: it keeps them till it ends). */
  @Override
  public void close() {
    ec2.ifComputed().ifPresent(Ec2Client::close);
    s3.ifComputed().ifPresent(S3Client::close);
    secrets.ifComputed().ifPresent(SecretsManagerClient::close);
    dynamoDb.ifComputed().ifPresent(DynamoDbClient::close);
    if (ownsHttp) {
      http.ifComputed().ifPresent(SdkHttpClient::close);
    }
  }

  private Ec2Client buildEc2() {
    var builder = Ec2Client.builder().httpClient(http.get()).overrideConfiguration(Retries.EC2.clientConfiguration());
    return configured(builder, region, endpoint).build();
  }

  private S3Client buildS3() {
    return buildS3(region, endpoint);
  }

  private S3Client buildS3(Optional<Region> s3Region, Optional<URI> s3Endpoint) {
    var builder =
        S3Client.builder()
            .httpClient(http.get())
            .overrideConfiguration(Retries.S3.clientConfiguration())
            // Emulators (and some S3-compatible stores) only speak path-style and do not send
            // or accept the newer default checksums.
            .forcePathStyle(s3Endpoint.isPresent())
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    return configured(builder, s3Region, s3Endpoint).build();
  }

  private SecretsManagerClient buildSecrets() {
    var builder =
        SecretsManagerClient.builder().httpClient(http.get()).overrideConfiguration(Retries.SECRETS_MANAGER.clientConfiguration());
    return configured(builder, region, endpoint).build();
  }

  private DynamoDbClient buildDynamoDb() {
    var builder = DynamoDbClient.builder().httpClient(http.get()).overrideConfiguration(Retries.DYNAMODB.clientConfiguration());
    return configured(builder, region, endpoint).build();
  }

  private <B extends AwsClientBuilder<B, ?>> B configured(B builder, Optional<Region> region, Optional<URI> endpoint) {
    region.ifPresent(builder::region);
    endpoint.ifPresent(builder::endpointOverride);
    credentials.ifPresent(builder::credentialsProvider);
    return builder;
  }
}
