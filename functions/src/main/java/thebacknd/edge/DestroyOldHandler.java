package thebacknd.edge;

/** Lambda entry point of the {@code destroy-old} function: {@code thebacknd.edge.DestroyOldHandler::handleRequest}. */
public final class DestroyOldHandler extends LambdaHandler {
  public DestroyOldHandler() {
    super(Route.DESTROY_OLD);
  }
}
