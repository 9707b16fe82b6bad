package thebacknd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ConfigTest {

  private static Map<String, String> minimal() {
    Map<String, String> env = new HashMap<>();
    env.put("THEBACKND_SECRET", "0123456789abcdef0123");
    env.put("NIX_CACHE", "s3://cache?region=eu-west-1");
    env.put("NIX_TRUSTED_KEY", "cache-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=");
    return env;
  }

  @Test
  void defaultsFollowTheDesign() {
    Config config = Config.fromEnvironment(minimal());
    assertEquals("t3.micro", config.defaultInstanceType());
    assertEquals(Set.of("t3.micro"), config.allowedInstanceTypes());
    assertEquals(Duration.ofMinutes(60), config.defaultTtl());
    assertEquals(Duration.ofMinutes(720), config.maxTtl());
    assertEquals(10, config.maxVms());
    assertEquals(true, config.verifyCache());
    assertEquals(Duration.ofMinutes(15), config.bootTimeout());
    assertEquals(SpotFallback.ON_DEMAND, config.spotFallback());
  }

  @Test
  void theBootTimeoutMayBeZeroAndTheSpotFallbackNone() {
    Map<String, String> env = minimal();
    env.put("THEBACKND_BOOT_TIMEOUT_MINUTES", "0");
    env.put("THEBACKND_SPOT_FALLBACK", "none");
    Config config = Config.fromEnvironment(env);
    assertEquals(Duration.ZERO, config.bootTimeout());
    assertEquals(SpotFallback.NONE, config.spotFallback());
  }

  @Test
  void aFailedVmIsKeptFifteenMinutesUnlessConfigured() {
    Map<String, String> env = minimal();
    assertEquals(Duration.ofMinutes(15), Config.fromEnvironment(env).failedKeep());
    env.put("THEBACKND_FAILED_KEEP_MINUTES", "45");
    assertEquals(Duration.ofMinutes(45), Config.fromEnvironment(env).failedKeep());
  }

  @Test
  void allowedInstanceTypesAlwaysIncludeTheDefault() {
    Map<String, String> env = minimal();
    env.put("THEBACKND_INSTANCE_TYPE", "t3.small");
    env.put("THEBACKND_ALLOWED_INSTANCE_TYPES", "t3.micro, c7g.large");
    assertEquals(Set.of("t3.small", "t3.micro", "c7g.large"), Config.fromEnvironment(env).allowedInstanceTypes());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "THEBACKND_SECRET|''|THEBACKND_SECRET is required",
        "THEBACKND_SECRET|short|THEBACKND_SECRET must be at least 16 characters",
        "NIX_CACHE|''|NIX_CACHE is required",
        "NIX_CACHE|ftp://cache|NIX_CACHE must be s3://",
        "NIX_TRUSTED_KEY|''|NIX_TRUSTED_KEY is required",
        "THEBACKND_TTL_MINUTES|abc|THEBACKND_TTL_MINUTES must be a positive integer",
        "THEBACKND_TTL_MINUTES|900|THEBACKND_TTL_MINUTES (900) exceeds THEBACKND_MAX_TTL_MINUTES (720)",
        "THEBACKND_MAX_VMS|0|THEBACKND_MAX_VMS must be a positive integer",
        "THEBACKND_BOOT_TIMEOUT_MINUTES|-1|THEBACKND_BOOT_TIMEOUT_MINUTES must be a whole number of minutes (0 or more), got -1",
        "THEBACKND_BOOT_TIMEOUT_MINUTES|soon|THEBACKND_BOOT_TIMEOUT_MINUTES must be a whole number of minutes",
        "THEBACKND_SPOT_FALLBACK|spot|THEBACKND_SPOT_FALLBACK must be on-demand or none, got spot",
        "THEBACKND_FAILED_KEEP_MINUTES|0|THEBACKND_FAILED_KEEP_MINUTES must be a positive integer",
        "THEBACKND_FAILED_KEEP_MINUTES|a while|THEBACKND_FAILED_KEEP_MINUTES must be a positive integer",
        "THEBACKND_INSTANCE_TYPE|t3 micro|THEBACKND_INSTANCE_TYPE has an invalid instance type",
        "THEBACKND_VERIFY_CACHE|maybe|THEBACKND_VERIFY_CACHE must be true or false",
        "THEBACKND_API_URL|not a url|THEBACKND_API_URL must be an http(s) URL",
        "THEBACKND_LEASES_TABLE|no spaces allowed|THEBACKND_LEASES_TABLE must be a DynamoDB table name or ARN",
        "THEBACKND_LEASES_TABLE|ab|THEBACKND_LEASES_TABLE must be a DynamoDB table name or ARN",
        "NIX_TRUSTED_KEY|me@cache:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=|NIX_TRUSTED_KEY is invalid: a key name is letters",
        "NIX_TRUSTED_KEY|cache-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY|NIX_TRUSTED_KEY is invalid: the key 'cache-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY' is not in canonical base64",
      })
  void aBadVariableFailsWithOneLineNamingIt(String name, String value, String message) {
    Map<String, String> env = minimal();
    env.put(name, value);
    ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnvironment(env));
    assertEquals(true, e.getMessage().startsWith(message), e.getMessage());
    assertEquals(false, e.getMessage().contains("\n"));
    assertEquals(0, e.getStackTrace().length, "configuration errors carry no stack trace");
  }

  @Test
  void createNeedsAnImageAndTheApiUrl() {
    Config config = Config.fromEnvironment(minimal());
    assertEquals(
        "THEBACKND_IMAGE_ID is required to create VMs (the base image AMI)",
        assertThrows(ConfigException.class, config::requireLaunchSettings).getMessage());
    Map<String, String> env = minimal();
    env.put("THEBACKND_IMAGE_ID", "ami-123");
    assertThrows(ConfigException.class, () -> Config.fromEnvironment(env).requireLaunchSettings());
    env.put("THEBACKND_API_URL", "https://api.example.com");
    Config.fromEnvironment(env).requireLaunchSettings();
  }

  @Test
  void createAndTheDestroysNeedTheLeasesTable() {
    assertEquals(
        "THEBACKND_LEASES_TABLE is required to create, find and destroy VMs (the DynamoDB table of name leases)",
        assertThrows(ConfigException.class, Config.fromEnvironment(minimal())::requireLeasesTable).getMessage());
    Map<String, String> env = minimal();
    env.put("THEBACKND_LEASES_TABLE", "thebacknd-LeasesTable-1A2B3C");
    assertEquals("thebacknd-LeasesTable-1A2B3C", Config.fromEnvironment(env).requireLeasesTable());
    env.put("THEBACKND_LEASES_TABLE", "arn:aws:dynamodb:eu-west-1:123456789012:table/thebacknd-leases");
    assertEquals("arn:aws:dynamodb:eu-west-1:123456789012:table/thebacknd-leases", Config.fromEnvironment(env).requireLeasesTable());
  }

  @Test
  void trustedKeysAreJoinedBySingleSpacesAsTheAgentReadsThem() {
    Map<String, String> env = minimal();
    env.put("NIX_TRUSTED_KEY", " a:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=\t\n b:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY= ");
    assertEquals("a:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY= b:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=",
        Config.fromEnvironment(env).nixTrustedKey());
  }

  @Test
  void aSecretArnReplacesTheLiteralSecret() {
    Map<String, String> env = minimal();
    env.remove("THEBACKND_SECRET");
    env.put("THEBACKND_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:k");
    assertEquals("arn:aws:secretsmanager:us-east-1:123456789012:secret:k", Config.fromEnvironment(env).secretArn().orElseThrow());
  }
}
