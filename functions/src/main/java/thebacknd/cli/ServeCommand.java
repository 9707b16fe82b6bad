package thebacknd.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.edge.App;
import thebacknd.edge.Endpoint;
import thebacknd.edge.LocalServer;

@Command(name = "serve", description = "Serve the API locally (same routes, same code as the Lambda functions).")
final class ServeCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--port", defaultValue = "8080", description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, loopback only).")
  String bind;

  @Override
  public Integer call() throws Exception {
    App app = App.fromEnvironment(main.env());
    app.requireReadyFor(Endpoint.CREATE);
    LocalServer server = new LocalServer(app.api(), bind, port, App.localUser(main.env()));
    server.start();
    // Serves until the process is stopped (Ctrl-C, SIGTERM); the hook is the one place it closes.
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    spec.commandLine().getOut().println("thebacknd: serving on http://" + bind + ":" + server.port());
    spec.commandLine().getOut().flush();
    stopped.await();
    return Main.OK;
  }
}
