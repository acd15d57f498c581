package dev.ballot.http;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests: each is answered by {@link Routes} (asynchronously, never blocking the
 * event loop), every failure becomes a JSON error with an HTTP status mapped from its gRPC code as
 * grpc-gateway maps them, and etcd's message; no stack trace ever leaves the node.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);

  private final Routes routes;

  HttpHandler(Routes routes) {
    this.routes = routes;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      HttpResponseStatus status =
          cause instanceof TooLongFrameException
              ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
              : HttpResponseStatus.BAD_REQUEST;
      write(ctx, false, false, Reply.error(status, "INVALID_ARGUMENT", "malformed HTTP request"));
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = request.method().equals(HttpMethod.HEAD);
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    Routes.Request r =
        new Routes.Request(
            request.method(),
            uri.rawPath(),
            uri.parameters(),
            request.headers().get(HttpHeaderNames.CONTENT_TYPE),
            request.headers().get(HttpHeaderNames.ACCEPT),
            ByteBufUtil.getBytes(request.content()));
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
        (answer, error) ->
            write(ctx, keepAlive, head, answer != null ? answer : failure(r, error)));
  }

  private void openEventStream(ChannelHandlerContext ctx, Routes.Request r) {
    try {
      Routes.requireGet(r);
    } catch (HttpError e) {
      write(ctx, false, false, failure(r, e));
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
    ctx.writeAndFlush(response);
  }

  /** The reply for a request that failed: the error's status and message. */
  static Reply failure(Routes.Request r, Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof HttpError e) {
      return Reply.error(e.status(), e.code(), e.getMessage());
    }
    if (cause instanceof StatusRuntimeException s) {
      Status status = s.getStatus();
      String message =
          status.getDescription() != null ? status.getDescription() : status.getCode().name();
      return Reply.error(httpStatus(status.getCode(), message), status.getCode().name(), message);
    }
    log.error("HTTP request failed method={} path={}", r.method(), r.path(), cause);
    return Reply.error(
        HttpResponseStatus.INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "etcdserver: internal error (see the server log)");
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
