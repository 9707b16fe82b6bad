package thebacknd.vm;

import java.util.Optional;

/** A create as the caller asked for it, parsed: what to run, and optionally on what and how long. */
public record CreateRequest(Workload workload, Optional<String> instanceType, Optional<Integer> ttlMinutes) {}
