package dev.ballot.metrics;

import dev.ballot.kv.KvStore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.node.RaftDriver;
import dev.ballot.storage.RocksDbRaftStorage;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.LongSupplier;

/**
 * The node's meter registry (Prometheus format) with the JVM's own meters (memory, GC, threads,
 * classes, CPU, file descriptors, uptime), the driver's ({@link NodeMeters}) and the client port's
 * ({@link GrpcMeters}).
 */
public record Metrics(PrometheusMeterRegistry registry, NodeMeters node, GrpcMeters grpc) {
  public static Metrics create() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry); // lives as long as the JVM: the node is the process
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return new Metrics(registry, new NodeMeters(registry), new GrpcMeters(registry));
  }

  /** The node's state gauges, read from its parts when scraped. */
  public NodeGauges bindNode(
      RaftDriver<?> driver,
      AppliedMembership members,
      KvStore kv,
      RocksDbRaftStorage storage,
      LongSupplier dbSizeBytes) {
    return NodeGauges.bind(registry, driver, members, kv, storage, dbSizeBytes);
  }
}
