package thebacknd.cli;

/** A vm_id as the API gives it: a lowercase UUID. Checked here so a typo is a usage error (exit 2). */
final class VmIds {

  private VmIds() {}

  /** 8-4-4-4-12 lowercase hex digits (without a regular expression: start-up). */
  static boolean valid(String text) {
    if (text.length() != 36) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
