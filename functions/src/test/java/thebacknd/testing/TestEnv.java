package thebacknd.testing;

import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.DescribeImagesRequest;
import thebacknd.Lazy;

/**
 * A complete, valid configuration environment pointed at moto, for tests to adjust. The cache
 * check is off here; the cache tests turn it on with a real signed cache.
 */
public final class TestEnv {

  public static final String SECRET = "test-secret-0123456789abcdef";

  private TestEnv() {}

  /** Only the AWS SDK settings: moto's endpoint, a region, dummy credentials, no IMDS probes. */
  public static Map<String, String> aws() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ENDPOINT_URL", Moto.endpoint().toString());
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    return env;
  }

  /** Everything the functions need, the leases table in moto included (made here when missing). */
  public static Map<String, String> base() {
    LeasesTable.ensure();
    Map<String, String> env = aws();
    env.put("THEBACKND_LEASES_TABLE", LeasesTable.NAME);
    env.put("THEBACKND_SECRET", SECRET);
    env.put("THEBACKND_IMAGE_ID", anyImageId());
    env.put("THEBACKND_API_URL", "http://127.0.0.1:9");
    env.put("NIX_CACHE", "http://127.0.0.1:9/cache");
    env.put("NIX_TRUSTED_KEY", "test-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=");
    env.put("THEBACKND_VERIFY_CACHE", "false");
    return env;
  }

  /**
   * One of the AMIs moto knows out of the box. Asked once: moto's built-in AMIs keep their ids
   * across resets, and listing all 1,300 of them takes it a second or two.
   */
  public static String anyImageId() {
    return IMAGE_ID.get();
  }

  private static final Lazy<String> IMAGE_ID =
      Lazy.of(() -> Moto.clients().ec2().describeImages(DescribeImagesRequest.builder().build()).images().get(0).imageId());
}
