package dev.ballot.http;

import dev.ballot.metrics.GrpcMeters;
import dev.ballot.metrics.NodeGauges;
import dev.ballot.metrics.NodeMeters;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP port ({@code --http-addr}): a JSON API over the keys (through the client port, so
 * with its exact checks and errors), status and membership, health probes, Prometheus metrics, and
 * the live dashboard. One event-loop thread serves it (no handler blocks), one more samples and
 * pushes the dashboard's events; bodies, headers and connections are bounded.
 */
public final class HttpGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);

  /** A put's value may be etcd's largest request (1.5 MiB), base64 inside JSON. */
  static final int MAX_BODY_BYTES = 3 << 20;

  static final int MAX_CONNECTIONS = 512;
  static final int MAX_INITIAL_LINE_BYTES = 8192;
  static final int MAX_HEADER_BYTES = 16384;

  /** A connection with no request for this long is closed (event streams write every second). */
  static final int IDLE_SECONDS = 120;

  private final EventLoopGroup group;
  private final Channel server;
  private final ScheduledExecutorService events;
  private final Loopback loopback;
  private final StatusView statusView;
  private final EventStream stream;
  private final ExecutorService work;

  private HttpGateway(
      EventLoopGroup group,
      Channel server,
      ScheduledExecutorService events,
      Loopback loopback,
      StatusView statusView,
      EventStream stream,
      ExecutorService work) {
    this.work = work;
    this.group = group;
    this.server = server;
    this.events = events;
    this.loopback = loopback;
    this.statusView = statusView;
    this.stream = stream;
  }

  /**
   * Listens on {@code address}.
   *
   * @throws IOException if it cannot listen there
   */
  public static HttpGateway start(
      InetSocketAddress address,
      NodeView node,
      InetSocketAddress clientPort,
      long requestTimeoutMs,
      PrometheusMeterRegistry registry,
      NodeMeters meters,
      GrpcMeters grpcMeters,
      NodeGauges gauges)
      throws IOException {
    ScheduledExecutorService events =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("http-events-" + node.nodeId(), true));
    // Answers of the client port and of the members' status calls arrive here and are turned
    // into JSON: never on gRPC's network threads, which also carry this node's Raft traffic.
    ExecutorService work =
        Executors.newFixedThreadPool(
            2, new DefaultThreadFactory("http-work-" + node.nodeId(), true));
    Loopback loopback = new Loopback(clientPort, requestTimeoutMs + 1000, work);
    StatusView statusView = new StatusView(node, work);
    EventStream stream = new EventStream(node, statusView, meters, grpcMeters, loopback, events);
    Routes routes =
        new Routes(
            new KvRoutes(loopback),
            statusView,
            new Probes(node, loopback),
            stream,
            registry,
            StaticFiles.load(),
            work);
    events.scheduleAtFixedRate(() -> gauges.sampleFollowers(events), 1, 1, TimeUnit.SECONDS);
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("http-" + node.nodeId(), true), NioIoHandler.newFactory());
    AtomicInteger connections = new AtomicInteger();
    try {
      Channel server =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                        connections.decrementAndGet();
                        ch.close();
                        return;
                      }
                      ch.closeFuture().addListener(f -> connections.decrementAndGet());
                      ch.pipeline()
                          .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS))
                          .addLast(
                              new HttpServerCodec(
                                  MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 64 * 1024))
                          .addLast(new BoundedAggregator())
                          .addLast(new HttpHandler(routes));
                    }
                  })
              .bind(address)
              .sync()
              .channel();
      stream.start();
      return new HttpGateway(group, server, events, loopback, statusView, stream, work);
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      events.shutdownNow();
      statusView.close();
      try {
        loopback.close();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      work.shutdownNow();
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Refuses a body over {@link #MAX_BODY_BYTES} with a JSON 413, and closes the connection. */
  private static final class BoundedAggregator extends HttpObjectAggregator {
    BoundedAggregator() {
      super(MAX_BODY_BYTES);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      Reply reply =
          Reply.error(
              HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
              "INVALID_ARGUMENT",
              "request body is larger than " + MAX_BODY_BYTES + " bytes");
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, reply.status(), Unpooled.wrappedBuffer(reply.body()));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Stops listening and ends every connection (event streams included). */
  @Override
  public void close() throws InterruptedException {
    try {
      server.close().await(5, TimeUnit.SECONDS);
    } finally {
      try {
        stream.close();
      } finally {
        events.shutdownNow();
        statusView.close();
        try {
          group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        } finally {
          try {
            loopback.close();
          } finally {
            work.shutdownNow();
          }
        }
      }
    }
  }
}
