package thebacknd.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import thebacknd.config.ConfigException;

/**
 * Whether the AWS SDK can find a region and credentials, checked before {@code serve} starts or
 * {@code --local} calls anything, so that a missing one is one line naming the setting (exit 2)
 * rather than the SDK's exception at the first request. Lenient: any source the SDK's default
 * chains could use counts; the SDK still decides.
 */
final class AwsSettings {

  private AwsSettings() {}

  static void check(Map<String, String> env) {
    Path config = file(env, "AWS_CONFIG_FILE", "config");
    if (blank(env, "AWS_REGION") && blank(env, "AWS_DEFAULT_REGION") && !mentionsRegion(config)) {
      throw new ConfigException("no AWS region: set AWS_REGION (for example export AWS_REGION=eu-west-1), or region in " + config);
    }
    boolean credentials = !blank(env, "AWS_ACCESS_KEY_ID") && !blank(env, "AWS_SECRET_ACCESS_KEY")
        || !blank(env, "AWS_PROFILE")
        || !blank(env, "AWS_WEB_IDENTITY_TOKEN_FILE")
        || !blank(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || !blank(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || Files.isRegularFile(file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"))
        || Files.isRegularFile(config)
        // On EC2 the instance's role gives credentials, unless the metadata is off.
        || !"true".equalsIgnoreCase(env.getOrDefault("AWS_EC2_METADATA_DISABLED", "").trim());
    if (!credentials) {
      throw new ConfigException("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, "
          + "with a profile in ~/.aws/credentials)");
    }
  }

  /**
   * The SDK's own exception, when it still came (the checks above are lenient): one line saying
   * which setting is missing; null when it is about something else.
   */
  static String explain(Throwable e) {
    String message = String.valueOf(e.getMessage());
    if (!e.getClass().getName().startsWith("software.amazon.awssdk.")) {
      return null;
    }
    if (message.contains("Unable to load region")) {
      return "no AWS region: set AWS_REGION (for example export AWS_REGION=eu-west-1)";
    }
    if (message.contains("Unable to load credentials")) {
      return "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, with a profile in ~/.aws/credentials)";
    }
    return null;
  }

  private static boolean blank(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank();
  }

  private static Path file(Map<String, String> env, String variable, String name) {
    return blank(env, variable) ? Path.of(env.getOrDefault("HOME", "."), ".aws", name) : Path.of(env.get(variable));
  }

  private static boolean mentionsRegion(Path config) {
    try {
      return Files.isRegularFile(config) && Files.readString(config).contains("region");
    } catch (IOException unreadable) {
      return false;
    }
  }
}
