package dev.ballot.node;

import dev.ballot.storage.RaftStorage;
import java.security.SecureRandom;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * What a driver runs on and does not own: who runs its loops, how its writes become durable, what
 * time it is, and where its randomness comes from. A server passes {@link #server}; the simulation
 * passes its events, its simulated disk, virtual time and the run's seeded random.
 */
public record DriverRuntime(
    NodeRunner runner, LogWriter logWriter, LongSupplier nanoClock, Random random) {

  /** Threads of their own, a synced write per Ready, the system clock, a secure random. */
  public static DriverRuntime server(long nodeId, RaftStorage storage) {
    return new DriverRuntime(
        new NodeThreads(nodeId), LogWriter.synced(storage), System::nanoTime, new SecureRandom());
  }
}
