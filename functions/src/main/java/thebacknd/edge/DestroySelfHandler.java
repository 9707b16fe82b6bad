package thebacknd.edge;

/** Lambda entry point of the {@code destroy-self} function: {@code thebacknd.edge.DestroySelfHandler::handleRequest}. */
public final class DestroySelfHandler extends LambdaHandler {
  public DestroySelfHandler() {
    super(Route.DESTROY_SELF);
  }
}
