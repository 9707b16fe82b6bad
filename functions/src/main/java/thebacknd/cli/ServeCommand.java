package thebacknd.cli;

import java.net.BindException;
import java.util.concurrent.CountDownLatch;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.edge.LocalServer;

final class ServeCommand implements Command {

  static final Spec SPEC = Spec.of("serve", "Serve the API locally (the Lambda functions' routes and code).")
      .options(
          Option.value("--port", "PORT", "Port to listen on; 0 picks a free one (default: 8080)."),
          Option.value("--bind", "ADDRESS", "Address to bind (default: 127.0.0.1, loopback only)."));

  private static final int MAX_PORT = 65_535;

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws Exception {
    int port = in.intValue("--port", 8080);
    if (port < 0 || port > MAX_PORT) {
      throw in.usage("Invalid value for option '--port': " + port + " (a port is 0 to " + MAX_PORT + "; 0 picks a free one)");
    }
    String bind = in.value("--bind") != null ? in.value("--bind") : "127.0.0.1";
    App app = App.fromEnvironment(in.env());
    app.requireReadyFor(Route.CREATE);
    AwsSettings.check(in.env());
    LocalServer server;
    try {
      server = new LocalServer(app.api(), bind, port, App.localUser(in.env()));
    } catch (BindException inUse) {
      throw new CliException(Main.USAGE, "cannot listen on " + bind + ":" + port + ": " + inUse.getMessage()
          + " (another thebacknd serve? pick another --port, or 0 for a free one)");
    }
    server.start();
    // Serves until the process is stopped (Ctrl-C, SIGTERM); the hook is the one place it closes.
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    in.out().println("thebacknd: serving on http://" + bind + ":" + server.port());
    in.out().flush();
    stopped.await();
    return Main.OK;
  }
}
