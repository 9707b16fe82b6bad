package thebacknd.vm;

/**
 * Where what a VM reports outlives the VM and its tags (the output bucket): its program's exit
 * code, and which vm_id its name last stood for, so {@code logs NAME} finds a VM that is gone.
 */
public interface Results {

  void keepExitCode(String vmId, int exitCode);

  /** Records that {@code name} was last given to {@code vmId}. */
  void keepName(String name, String vmId);
}
