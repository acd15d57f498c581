package dev.ballot.http;

import dev.ballot.transport.Failures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests: each is answered by {@link Routes} (asynchronously, never blocking the
 * event loop), every failure becomes a JSON error with an HTTP status mapped from its gRPC code as
 * grpc-gateway maps them, and etcd's message; no stack trace ever leaves the node.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);

  /** Requests a connection may send ahead of their answers before it is closed. */
  static final int MAX_QUEUED_PER_CONNECTION = 16;

  private final Routes routes;

  HttpHandler(Routes routes) {
    this.routes = routes;
  }

  /** Requests of this connection not yet answered; one is answered at a time, in order. */
  private final Deque<Pending> queue = new ArrayDeque<>();

  private boolean busy;
  private boolean streaming;

  /** A request waiting for its turn; {@code refused} is its answer when decided on arrival. */
  private record Pending(Routes.Request request, boolean keepAlive, boolean head, Reply refused) {}

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (streaming) {
      ctx.close(); // an event stream's connection carries nothing else
      return;
    }
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      HttpResponseStatus status =
          cause instanceof TooLongFrameException
              ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
              : HttpResponseStatus.BAD_REQUEST;
      queue.clear();
      write(ctx, false, false, Reply.error(status, "INVALID_ARGUMENT", "malformed HTTP request"));
      return;
    }
    if (queue.size() >= MAX_QUEUED_PER_CONNECTION) {
      ctx.close(); // pipelining far ahead of the answers
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    Routes.Request r =
        new Routes.Request(
            request.method(),
            uri.rawPath(),
            uri.parameters(),
            request.headers().get(HttpHeaderNames.CONTENT_TYPE),
            request.headers().get(HttpHeaderNames.ACCEPT),
            ByteBufUtil.getBytes(request.content()));
    Reply refused = crossOrigin(request);
    queue.add(
        new Pending(
            r,
            refused == null && HttpUtil.isKeepAlive(request),
            request.method().equals(HttpMethod.HEAD),
            refused));
    if (!busy) {
      next(ctx);
    }
  }

  /**
   * A browser page from another origin must not act on the store (a cross-site form can POST to
   * localhost): a request whose Origin is not this host and port is refused.
   */
  private static Reply crossOrigin(FullHttpRequest request) {
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    if (origin == null) {
      return null;
    }
    String host = request.headers().get(HttpHeaderNames.HOST);
    String originHost = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
    if (host != null && originHost.equalsIgnoreCase(host)) {
      return null;
    }
    return Reply.error(
        HttpResponseStatus.FORBIDDEN,
        "PERMISSION_DENIED",
        "cross-origin request refused (Origin " + origin + ", Host " + host + ")");
  }

  /** Answers the oldest waiting request; reads no more of the connection meanwhile. */
  private void next(ChannelHandlerContext ctx) {
    Pending p = queue.poll();
    if (p == null) {
      busy = false;
      ctx.channel().config().setAutoRead(true);
      return;
    }
    busy = true;
    ctx.channel().config().setAutoRead(false);
    Routes.Request r = p.request();
    if (p.refused() != null) {
      written(ctx, p, p.refused());
      return;
    }
    if (Routes.isEventStream(r)) {
      openEventStream(ctx, r);
      return;
    }
    CompletableFuture<Reply> reply;
    try {
      reply = routes.answer(r);
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    reply.whenComplete(
        (answer, error) -> {
          Reply out = answer != null ? answer : failure(r, error);
          if (ctx.executor().inEventLoop()) {
            written(ctx, p, out);
          } else {
            ctx.executor().execute(() -> written(ctx, p, out));
          }
        });
  }

  private void written(ChannelHandlerContext ctx, Pending p, Reply reply) {
    write(ctx, p.keepAlive(), p.head(), reply);
    if (p.keepAlive()) {
      next(ctx);
    } else {
      queue.clear();
    }
  }

  private void openEventStream(ChannelHandlerContext ctx, Routes.Request r) {
    if (!r.method().equals(HttpMethod.GET)) {
      write(
          ctx,
          false,
          false,
          failure(
              r,
              new HttpError(
                  HttpResponseStatus.METHOD_NOT_ALLOWED,
                  "UNIMPLEMENTED",
                  r.method() + " is not served on /v1/events (allowed: GET)")));
      return;
    }
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    if (!routes.events.add(ctx.channel())) {
      write(
          ctx,
          false,
          false,
          Reply.error(
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "RESOURCE_EXHAUSTED",
              "too many event streams are open on this node (at most "
                  + EventStream.MAX_STREAMS
                  + ")"));
      return;
    }
    streaming = true;
    queue.clear();
    ctx.channel().config().setAutoRead(true); // only to see the client close it
    ctx.writeAndFlush(response);
  }

  /** The reply for a request that failed: the error's status and message. */
  static Reply failure(Routes.Request r, Throwable error) {
    Throwable cause = Failures.cause(error);
    if (cause instanceof HttpError e) {
      return Reply.error(e.status(), e.code(), e.getMessage());
    }
    if (cause instanceof StatusRuntimeException s) {
      Status status = s.getStatus();
      String message = status.getDescription() != null ? status.getDescription() : "";
      if (!message.startsWith("etcdserver: ")) {
        // Not the node's answer but the loopback call's own failure: say what it means.
        return transportFailure(status.getCode(), message);
      }
      return Reply.error(httpStatus(status.getCode(), message), status.getCode().name(), message);
    }
    log.error("HTTP request failed method={} path={}", r.method(), r.path(), cause);
    return Reply.error(
        HttpResponseStatus.INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "etcdserver: internal error (see the server log)");
  }

  /** A failure of the call to the node's own client port, in words a client can act on. */
  static Reply transportFailure(Status.Code code, String description) {
    return switch (code) {
      case RESOURCE_EXHAUSTED ->
          Reply.error(
              HttpResponseStatus.BAD_REQUEST,
              "RESOURCE_EXHAUSTED",
              "the answer is larger than "
                  + (Loopback.MAX_RESPONSE_BYTES >> 20)
                  + " MiB: ask for less (?limit, ?keys_only, a narrower prefix)");
      case DEADLINE_EXCEEDED ->
          Reply.error(
              HttpResponseStatus.GATEWAY_TIMEOUT,
              "DEADLINE_EXCEEDED",
              "etcdserver: request timed out");
      case UNAVAILABLE, CANCELLED ->
          Reply.error(
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              code.name(),
              "the node's client port is not answering (stopping or overloaded)");
      default -> {
        log.warn(
            "HTTP call to the client port failed code={} description=\"{}\"", code, description);
        yield Reply.error(
            httpStatus(code, ""), code.name(), "etcdserver: internal error (see the server log)");
      }
    };
  }

  /** grpc-gateway's mapping, but a request over etcd's size limit is 413. */
  static HttpResponseStatus httpStatus(Status.Code code, String message) {
    return switch (code) {
      case OK -> HttpResponseStatus.OK;
      case CANCELLED -> HttpResponseStatus.valueOf(499, "Client Closed Request");
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE ->
          message.contains("request is too large")
              ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
              : HttpResponseStatus.BAD_REQUEST;
      case DEADLINE_EXCEEDED -> HttpResponseStatus.GATEWAY_TIMEOUT;
      case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
      case ALREADY_EXISTS, ABORTED -> HttpResponseStatus.CONFLICT;
      case PERMISSION_DENIED -> HttpResponseStatus.FORBIDDEN;
      case UNAUTHENTICATED -> HttpResponseStatus.UNAUTHORIZED;
      case RESOURCE_EXHAUSTED ->
          message.contains("larger than max") || message.contains("too large")
              ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
              : HttpResponseStatus.TOO_MANY_REQUESTS;
      case UNIMPLEMENTED -> HttpResponseStatus.NOT_IMPLEMENTED;
      case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
      case UNKNOWN, INTERNAL, DATA_LOSS -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
    };
  }

  private static void write(
      ChannelHandlerContext ctx, boolean keepAlive, boolean head, Reply reply) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            reply.status(),
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    response.headers().set("X-Content-Type-Options", "nosniff");
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset connection or garbage the codec could not even frame: nothing to answer.
    log.debug(
        "HTTP connection failed remote={} error={}",
        ctx.channel().remoteAddress(),
        cause.toString());
    ctx.close();
  }
}
