package thebacknd.vm;

import java.util.Optional;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;

/** A validated create: at most one of toplevel and binary; neither means the plain base image. */
public record CreateRequest(
    Optional<StorePath> nixToplevel,
    Optional<BinaryPath> nixBinary,
    Optional<String> instanceType,
    Optional<Integer> ttlMinutes) {

  public CreateRequest {
    if (nixToplevel.isPresent() && nixBinary.isPresent()) {
      throw new IllegalArgumentException("nix_toplevel and nix_binary are exclusive");
    }
  }

  public static CreateRequest plain() {
    return new CreateRequest(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }
}
