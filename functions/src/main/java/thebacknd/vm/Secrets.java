package thebacknd.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import thebacknd.Lazy;
import thebacknd.aws.AwsClients;
import thebacknd.aws.AwsErrors;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;
import thebacknd.config.Secret;

/**
 * Where the kill-code key comes from: {@code THEBACKND_SECRET} locally, or the Secrets Manager
 * secret {@code THEBACKND_SECRET_ARN} in Lambda, read once per container. The previous key is
 * {@code THEBACKND_PREVIOUS_SECRET}, or else the secret's {@code AWSPREVIOUS} version.
 */
public final class Secrets {

  private Secrets() {}

  public static Supplier<List<String>> from(Config config, AwsClients aws) {
    return Lazy.of(() -> List.copyOf(read(config, aws)));
  }

  private static List<String> read(Config config, AwsClients aws) {
    List<String> keys = new ArrayList<>();
    if (config.secret().isPresent()) {
      keys.add(config.secret().get().value());
      config.previousSecret().map(Secret::value).ifPresent(keys::add);
      return keys;
    }
    String arn = config.secretArn().orElseThrow();
    keys.add(
        stage(aws, arn, "AWSCURRENT")
            .orElseThrow(() -> new ConfigException("THEBACKND_SECRET_ARN " + arn + " has no current value")));
    if (config.previousSecret().isPresent()) {
      keys.add(config.previousSecret().get().value());
    } else {
      stage(aws, arn, "AWSPREVIOUS").ifPresent(keys::add);
    }
    return keys;
  }

  private static Optional<String> stage(AwsClients aws, String arn, String stage) {
    try {
      String value =
          aws.secretsManager()
              .getSecretValue(GetSecretValueRequest.builder().secretId(arn).versionStage(stage).build())
              .secretString();
      return Optional.ofNullable(value).filter(v -> !v.isEmpty());
    } catch (ResourceNotFoundException e) {
      if ("AWSCURRENT".equals(stage)) {
        throw new ConfigException("THEBACKND_SECRET_ARN names a secret that does not exist: " + arn);
      }
      return Optional.empty();
    } catch (SdkException e) {
      throw AwsErrors.failure("Secrets Manager GetSecretValue", e);
    }
  }
}
