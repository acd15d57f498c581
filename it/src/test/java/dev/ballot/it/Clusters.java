package dev.ballot.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts {@link KvCluster}s for a test class and always stops them: a cluster started in a test is
 * closed after that test, one started in {@code @BeforeAll} after the class. When a test fails, the
 * tail of every node's log is printed and the cluster's files are kept under target/it.
 *
 * <pre>{@code
 * @RegisterExtension final Clusters clusters = new Clusters();          // one cluster per test
 * @RegisterExtension static final Clusters clusters = new Clusters();   // or shared by the class
 * }</pre>
 */
public final class Clusters
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

  private static final int LOG_LINES_ON_FAILURE = 80;

  private final List<KvCluster> classScoped = new ArrayList<>();
  private final List<KvCluster> testScoped = new ArrayList<>();
  private String className = "Test";
  private String testName;
  private int started;

  /** A 3-node cluster with the default options. */
  public KvCluster start() {
    return start(3);
  }

  public KvCluster start(int nodes) {
    return start(builder().nodes(nodes));
  }

  /** A builder named after the running test, for options other than the defaults. */
  public KvCluster.Builder builder() {
    String scope = testName == null ? "class" : testName;
    return KvCluster.builder(className + "/" + scope + "-" + (++started));
  }

  public KvCluster start(KvCluster.Builder builder) {
    KvCluster cluster = builder.start();
    (testName == null ? classScoped : testScoped).add(cluster);
    return cluster;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    className = context.getRequiredTestClass().getSimpleName();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    className = context.getRequiredTestClass().getSimpleName();
    testName = context.getRequiredTestMethod().getName().toLowerCase(Locale.ROOT);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      reportFailure(context, classScoped);
      reportFailure(context, testScoped);
    }
    testName = null;
    closeAll(testScoped);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeAll(classScoped);
  }

  private static void reportFailure(ExtensionContext context, List<KvCluster> clusters) {
    for (KvCluster cluster : clusters) {
      cluster.keepFiles();
      System.err.println(
          "==== " + context.getDisplayName() + " failed; logs of " + cluster.options().name());
      cluster.printLogs(System.err, LOG_LINES_ON_FAILURE);
    }
  }

  private static void closeAll(List<KvCluster> clusters) {
    Teardown teardown = new Teardown();
    for (KvCluster cluster : clusters) {
      teardown.run(cluster::close);
    }
    clusters.clear();
    teardown.finish();
  }
}
