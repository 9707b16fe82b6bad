package thebacknd.edge;

/** Lambda entry point of the {@code destroy-all} function: {@code thebacknd.edge.DestroyAllHandler::handleRequest}. */
public final class DestroyAllHandler extends LambdaHandler {
  public DestroyAllHandler() {
    super(Route.DESTROY_ALL);
  }
}
