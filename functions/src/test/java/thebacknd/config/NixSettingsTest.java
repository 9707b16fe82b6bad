package thebacknd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** NIX_CACHE and NIX_TRUSTED_KEY are checked at start-up, not at the first create. */
class NixSettingsTest {

  static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("THEBACKND_SECRET", "0123456789abcdef0123");
    env.put("NIX_CACHE", "s3://cache?region=eu-west-1");
    env.put("NIX_TRUSTED_KEY", "cache-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=");
    return env;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "NIX_CACHE|s3://cache/prefix?region=eu-west-1&compression=zstd",
    "NIX_CACHE|http://127.0.0.1:5000/cache",
    "NIX_CACHE|https://cache.example.org/",
    "NIX_TRUSTED_KEY|a-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY= b-2:CEvyA/Lpdm2z3rfTmRl66ycGKZAHzuDWItwVWQz8soM=",
  })
  void acceptsValidSettings(String variable, String value) {
    Map<String, String> env = env();
    env.put(variable, value);
    assertEquals(value, variable.equals("NIX_CACHE") ? Config.fromEnvironment(env).nixCache() : Config.fromEnvironment(env).nixTrustedKey());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "NIX_CACHE|s3://|NIX_CACHE is not a valid cache URL",
    "NIX_CACHE|s3://cache?region=Europe West|NIX_CACHE is not a valid cache URL",
    "NIX_CACHE|http://|NIX_CACHE is not a valid cache URL",
    "NIX_CACHE|file:///tmp/cache|NIX_CACHE must be s3://",
    "NIX_TRUSTED_KEY|cache-1|NIX_TRUSTED_KEY is invalid",
    "NIX_TRUSTED_KEY|cache-1:AAAA|NIX_TRUSTED_KEY is invalid",
  })
  void rejectsInvalidSettingsNamingTheVariable(String variable, String value, String message) {
    Map<String, String> env = env();
    env.put(variable, value);
    ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnvironment(env));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }
}
