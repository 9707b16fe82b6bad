package thebacknd.config;

/** A secret setting: its value is used, never printed ({@link #toString} hides it). */
public record Secret(String value) {

  @Override
  public String toString() {
    return "Secret[hidden]";
  }
}
