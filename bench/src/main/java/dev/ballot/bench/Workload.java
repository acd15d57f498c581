package dev.ballot.bench;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What each request of a run does. */
public enum Workload {
  /** KV.Put of a random key of the key space. */
  PUT("put"),
  /** KV.Range of one random key, linearizable (etcd's default). */
  GET_LIN("get-lin"),
  /** KV.Range of one random key, serializable: answered from the member's own copy. */
  GET_SER("get-ser");

  private final String cliName;

  Workload(String cliName) {
    this.cliName = cliName;
  }

  /** The name on the command line and in the JSON result. */
  public String cliName() {
    return cliName;
  }

  /** Whether the run reads keys that must be written first. */
  public boolean reads() {
    return this != PUT;
  }

  /** The workload named {@code name} on the command line. */
  public static Workload parse(String name) {
    for (Workload workload : values()) {
      if (workload.cliName.equals(name)) {
        return workload;
      }
    }
    throw new IllegalArgumentException(
        "unknown workload '"
            + name
            + "'; one of "
            + Arrays.stream(values()).map(Workload::cliName).collect(Collectors.joining(", ")));
  }
}
