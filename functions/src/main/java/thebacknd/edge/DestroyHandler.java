package thebacknd.edge;

/** Lambda entry point of the {@code destroy} function: {@code thebacknd.edge.DestroyHandler::handleRequest}. */
public final class DestroyHandler extends LambdaHandler {
  public DestroyHandler() {
    super(Route.DESTROY);
  }
}
