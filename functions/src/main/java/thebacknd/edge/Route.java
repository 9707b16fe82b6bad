package thebacknd.edge;

import java.util.Arrays;
import java.util.Optional;

/** The routes of DESIGN §4 (plus {@code /console}, see docs/decisions.md), each with its one method. */
public enum Route {
  CREATE("POST", "/create"),
  LIST("GET", "/list"),
  DESTROY("POST", "/destroy"),
  DESTROY_ALL("POST", "/destroy-all"),
  DESTROY_OLD("POST", "/destroy-old"),
  DESTROY_SELF("POST", "/destroy-self"),
  /** A live VM's new deadline (DESIGN §9 "Lifetime"). */
  EXTEND("POST", "/extend"),
  REPORT("POST", "/report"),
  /** A VM sends its output (DESIGN §9), with its kill code. */
  OUTPUT("POST", "/output"),
  /** A VM's output, by name or vm_id (DESIGN §9). */
  LOGS("GET", "/logs"),
  /** A live VM's serial console (EC2 GetConsoleOutput); not in DESIGN §4, see docs/decisions.md. */
  CONSOLE("GET", "/console"),
  /** A pooled VM asks whether a create claimed it, with its kill code (DESIGN §11). */
  CLAIM("POST", "/claim"),
  /** Tops up the warm pool (DESIGN §11); also the schedule's invocation. */
  POOL("POST", "/pool");

  public final String method;
  public final String path;

  Route(String method, String path) {
    this.method = method;
    this.path = path;
  }

  public static Optional<Route> forPath(String path) {
    return Arrays.stream(values()).filter(e -> e.path.equals(path)).findFirst();
  }
}
