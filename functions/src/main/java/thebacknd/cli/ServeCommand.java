package thebacknd.cli;

import java.util.concurrent.CountDownLatch;
import thebacknd.cli.Spec.Option;
import thebacknd.edge.App;
import thebacknd.edge.Endpoint;
import thebacknd.edge.LocalServer;

final class ServeCommand implements Command {

  static final Spec SPEC = Spec.of("serve", "Serve the API locally (the Lambda functions' routes and code).")
      .options(
          Option.value("--port", "PORT", "Port to listen on; 0 picks a free one (default: 8080)."),
          Option.value("--bind", "ADDRESS", "Address to bind (default: 127.0.0.1, loopback only)."));

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws Exception {
    int port = in.intValue("--port", 8080);
    String bind = in.value("--bind") != null ? in.value("--bind") : "127.0.0.1";
    App app = App.fromEnvironment(in.env());
    app.requireReadyFor(Endpoint.CREATE);
    LocalServer server = new LocalServer(app.api(), bind, port, App.localUser(in.env()));
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
