package thebacknd.edge;

import java.util.Arrays;
import java.util.Optional;

/** The routes of DESIGN §4 (plus {@code /destroy}, one VM by name), each with its one method. */
public enum Endpoint {
  CREATE("POST", "/create"),
  LIST("GET", "/list"),
  DESTROY("POST", "/destroy"),
  DESTROY_ALL("POST", "/destroy-all"),
  DESTROY_OLD("POST", "/destroy-old"),
  DESTROY_SELF("POST", "/destroy-self"),
  REPORT("POST", "/report");

  public final String method;
  public final String path;

  Endpoint(String method, String path) {
    this.method = method;
    this.path = path;
  }

  public static Optional<Endpoint> forPath(String path) {
    return Arrays.stream(values()).filter(e -> e.path.equals(path)).findFirst();
  }
}
