package thebacknd.config;

/** Missing or malformed configuration: one line naming the variable, no stack trace. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
