package dev.ballot.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ballot.logging.LogLevels;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/** Which handler answers which method and path. */
final class Routes {
  /** The content type Prometheus expects for its text format. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** A request as the routes see it. */
  record Request(
      HttpMethod method,
      String path,
      Map<String, List<String>> params,
      String contentType,
      String accept,
      byte[] body) {}

  final KvRoutes kv;
  final StatusView status;
  final Probes probes;
  final EventStream events;
  private final PrometheusMeterRegistry registry;
  private final StaticFiles files;
  private final Executor work;

  Routes(
      KvRoutes kv,
      StatusView status,
      Probes probes,
      EventStream events,
      PrometheusMeterRegistry registry,
      StaticFiles files,
      Executor work) {
    this.work = work;
    this.kv = kv;
    this.status = status;
    this.probes = probes;
    this.events = events;
    this.registry = registry;
    this.files = files;
  }

  /** Whether {@code r} opens the event stream (answered by the handler, not here). */
  static boolean isEventStream(Request r) {
    return r.path().equals("/v1/events");
  }

  /**
   * Key and status requests being answered at once, over all connections; beyond it a request is
   * refused with 429 (the probes and /metrics are always answered). Each may hold an answer of up
   * to {@link Loopback#MAX_RESPONSE_BYTES} while it is turned into JSON.
   */
  static final int MAX_IN_FLIGHT = 32;

  private static final Set<String> ALWAYS_ANSWERED =
      Set.of("/health", "/readyz", "/livez", "/metrics");

  private final AtomicInteger inFlight = new AtomicInteger();

  CompletableFuture<Reply> answer(Request r) {
    if (ALWAYS_ANSWERED.contains(r.path())) {
      return route(r);
    }
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      throw new HttpError(
          HttpResponseStatus.TOO_MANY_REQUESTS,
          "RESOURCE_EXHAUSTED",
          "too many HTTP requests in flight on this node (at most " + MAX_IN_FLIGHT + ")");
    }
    CompletableFuture<Reply> reply;
    try {
      reply = route(r);
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      throw e;
    }
    return reply.whenComplete((answer, error) -> inFlight.decrementAndGet());
  }

  private CompletableFuture<Reply> route(Request r) {
    String path = r.path();
    if (path.startsWith(KvRoutes.KV_PREFIX)) {
      if (r.method().equals(HttpMethod.GET) || r.method().equals(HttpMethod.HEAD)) {
        return kv.get(path, r.params(), wantsText(r.accept()));
      }
      if (r.method().equals(HttpMethod.PUT)) {
        return kv.put(path, r.params(), r.contentType(), r.body());
      }
      if (r.method().equals(HttpMethod.DELETE)) {
        return kv.delete(path, r.params());
      }
      throw notAllowed(r, "GET, PUT, DELETE");
    }
    return switch (path) {
      case "/v1/txn" -> {
        requireMethod(r, Set.of(HttpMethod.POST), "POST");
        yield kv.txn(r.params(), r.contentType(), r.body());
      }
      case "/v1/status" -> {
        requireGet(r);
        yield status.status(work).thenApply(Reply::ok);
      }
      case "/v1/members" -> {
        requireGet(r);
        yield CompletableFuture.completedFuture(Reply.ok(status.members()));
      }
      case "/v1/log-levels" -> {
        if (r.method().equals(HttpMethod.PUT)) {
          try {
            LogLevels.apply(new String(r.body(), StandardCharsets.UTF_8).strip());
          } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
          }
        } else {
          requireMethod(r, Set.of(HttpMethod.GET, HttpMethod.HEAD), "GET, PUT");
        }
        ObjectNode levels = JsonCodec.object();
        LogLevels.current().forEach(levels::put);
        yield CompletableFuture.completedFuture(Reply.ok(JsonCodec.object().set("levels", levels)));
      }
      case "/health" -> {
        requireGet(r);
        yield probes.health();
      }
      case "/readyz" -> {
        requireGet(r);
        yield probes.readyz();
      }
      case "/livez" -> {
        requireGet(r);
        yield CompletableFuture.completedFuture(probes.livez());
      }
      case "/metrics" -> {
        requireGet(r);
        // The scrape reads the store and walks its files: off the event loop.
        yield CompletableFuture.supplyAsync(
            () ->
                new Reply(
                    HttpResponseStatus.OK,
                    PROMETHEUS_TEXT,
                    registry.scrape().getBytes(StandardCharsets.UTF_8)),
            work);
      }
      case "/", "/index.html" -> {
        requireGet(r);
        yield CompletableFuture.completedFuture(file("index.html"));
      }
      default -> {
        if (path.startsWith("/dashboard/")) {
          requireGet(r);
          yield CompletableFuture.completedFuture(file(path.substring("/dashboard/".length())));
        }
        throw HttpError.notFound("no such path: " + path);
      }
    };
  }

  private Reply file(String name) {
    StaticFiles.File f = files.get(name);
    if (f == null) {
      throw HttpError.notFound("no such file: " + name);
    }
    return new Reply(HttpResponseStatus.OK, f.contentType(), f.bytes());
  }

  private static boolean wantsText(String accept) {
    return accept != null
        && (accept.startsWith("text/plain") || accept.startsWith("application/octet-stream"));
  }

  static void requireGet(Request r) {
    requireMethod(r, Set.of(HttpMethod.GET, HttpMethod.HEAD), "GET");
  }

  private static void requireMethod(Request r, Set<HttpMethod> allowed, String allow) {
    if (!allowed.contains(r.method())) {
      throw notAllowed(r, allow);
    }
  }

  private static HttpError notAllowed(Request r, String allow) {
    return new HttpError(
        HttpResponseStatus.METHOD_NOT_ALLOWED,
        "UNIMPLEMENTED",
        r.method() + " is not served on " + r.path() + " (allowed: " + allow + ")");
  }
}
