package thebacknd.cache;

import thebacknd.aws.AwsClients;
import thebacknd.config.Config;

/**
 * Proves a store path and its whole closure are in the binary cache and signed by a trusted key
 * (DESIGN §6). PLACEHOLDER: the signed-cache issue replaces this body with the real check.
 */
public final class ClosureCheck {

  public static ClosureCheck fromConfig(Config config, AwsClients aws) {
    return new ClosureCheck();
  }

  public ClosureReport check(StorePath root) {
    throw new UnsupportedOperationException("closure check not implemented yet");
  }
}
