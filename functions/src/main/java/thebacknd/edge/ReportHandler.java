package thebacknd.edge;

/** Lambda entry point of the {@code report} function: {@code thebacknd.edge.ReportHandler::handleRequest}. */
public final class ReportHandler extends LambdaHandler {
  public ReportHandler() {
    super(Route.REPORT);
  }
}
