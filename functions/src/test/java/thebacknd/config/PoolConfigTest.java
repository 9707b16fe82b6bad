package thebacknd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** THEBACKND_POOL and THEBACKND_POOL_IDLE_MINUTES at start-up: parsed, or one line naming the variable. */
class PoolConfigTest {

  private static Map<String, String> env(String pool) {
    Map<String, String> env = new HashMap<>();
    env.put("THEBACKND_SECRET", "0123456789abcdef0123");
    env.put("NIX_CACHE", "s3://cache?region=eu-west-1");
    env.put("NIX_TRUSTED_KEY", "cache-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=");
    env.put("THEBACKND_ALLOWED_INSTANCE_TYPES", "t4g.small");
    env.put("THEBACKND_MAX_VMS", "5");
    if (pool != null) {
      env.put("THEBACKND_POOL", pool);
    }
    return env;
  }

  @Test
  void offByDefaultWithAnHourOfIdleness() {
    Config config = Config.fromEnvironment(env(null));
    assertTrue(config.pool().isEmpty());
    assertEquals(Duration.ofMinutes(60), config.poolIdle());
  }

  @Test
  void entriesByTypeAndMarket() {
    Map<String, String> env = env(" t3.micro=2, t4g.small:spot=1 ");
    env.put("THEBACKND_POOL_IDLE_MINUTES", "20");
    Config config = Config.fromEnvironment(env);
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put("t3.micro", 2);
    expected.put("t4g.small:spot", 1);
    assertEquals(expected, config.pool().byKey());
    assertEquals(List.of(new PoolConfig.Entry("t3.micro", false, 2), new PoolConfig.Entry("t4g.small", true, 1)), config.pool().entries());
    assertEquals(3, config.pool().total());
    assertFalse(config.pool().isEmpty());
    assertEquals(Duration.ofMinutes(20), config.poolIdle());
  }

  @ParameterizedTest
  @ValueSource(strings = {"t3.micro", "t3.micro=", "t3.micro=two", "t3.micro=-1", "t3.micro:ondemand=1", "=2", "t3.micro=1,,",
      "T3.MICRO=1", "t3.micro=1;t4g.small=1", "m5.large=1", "t3.micro=1,t3.micro=2", "t3.micro=4,t4g.small=2"})
  void aMalformedPoolIsOneLineNamingIt(String pool) {
    ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnvironment(env(pool)));
    assertTrue(e.getMessage().startsWith("THEBACKND_POOL "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-5", "soon"})
  void aBadIdleTimeIsOneLineNamingIt(String minutes) {
    Map<String, String> env = env("t3.micro=1");
    env.put("THEBACKND_POOL_IDLE_MINUTES", minutes);
    ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnvironment(env));
    assertTrue(e.getMessage().startsWith("THEBACKND_POOL_IDLE_MINUTES "), e.getMessage());
  }
}
