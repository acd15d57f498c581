package dev.ballot.it;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * Raw TCP sent to a gRPC port, below anything a gRPC client would produce: random bytes, an HTTP/2
 * preface followed by random, invalid or truncated frames, gRPC calls whose message is cut short or
 * declares an absurd length, and connections closed in the middle of a frame. Each method opens one
 * connection, writes, reads what comes back for a moment and closes; it returns what it sent.
 */
final class WireGarbage {
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(US_ASCII);
  private static final int READ_TIMEOUT_MS = 300;
  private static final int MAX_READ_BYTES = 64 * 1024;

  private static final int DATA = 0;
  private static final int HEADERS = 1;
  private static final int SETTINGS = 4;
  private static final int FLAG_END_STREAM = 0x1;
  private static final int FLAG_END_HEADERS = 0x4;

  private final Random random;

  WireGarbage(Random random) {
    this.random = random;
  }

  /** One random kind of garbage to {@code port}; {@code grpcPath} is a method it serves. */
  String send(int port, String grpcPath) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String what;
    switch (random.nextInt(8)) {
      case 0 -> {
        int length = 1 + random.nextInt(random.nextBoolean() ? 64 : 128 * 1024);
        out.writeBytes(randomBytes(length));
        what = length + " random bytes";
      }
      case 1 -> {
        int cut = random.nextInt(PREFACE.length);
        out.writeBytes(Arrays.copyOf(PREFACE, cut));
        what = "the HTTP/2 preface cut after " + cut + " bytes";
      }
      case 2 -> {
        out.writeBytes(PREFACE);
        frame(out, SETTINGS, 0, 0, new byte[0]);
        int frames = 1 + random.nextInt(20);
        for (int i = 0; i < frames; i++) {
          frame(
              out,
              random.nextInt(256),
              random.nextInt(256),
              random.nextInt(),
              randomBytes(random.nextInt(100)));
        }
        what = "preface, settings and " + frames + " random frames";
      }
      case 3 -> {
        out.writeBytes(PREFACE);
        frame(out, SETTINGS, 0, 0, new byte[0]);
        int declared = random.nextBoolean() ? 16_384 : 0xffffff;
        int sent = random.nextInt(200);
        header(out, declared, random.nextBoolean() ? DATA : HEADERS, 0, 1);
        out.writeBytes(randomBytes(sent));
        what = "a frame declaring " + declared + " bytes, closed after " + sent;
      }
      case 4 -> {
        out.writeBytes(PREFACE);
        frame(out, SETTINGS, 0, 0, new byte[0]);
        frame(out, HEADERS, FLAG_END_HEADERS, 1, randomBytes(1 + random.nextInt(64)));
        what = "a HEADERS frame with a garbage header block";
      }
      case 5 -> {
        int declared = 100 + random.nextInt(10_000);
        int sent = random.nextInt(declared);
        grpcCall(out, grpcPath, 0, declared, randomBytes(sent).clone(), true);
        what = "a gRPC message declaring " + declared + " bytes, ended after " + sent;
      }
      case 6 -> {
        int declared = random.nextBoolean() ? Integer.MAX_VALUE : -1;
        grpcCall(out, grpcPath, 0, declared, randomBytes(16), random.nextBoolean());
        what = "a gRPC message declaring " + Integer.toUnsignedString(declared) + " bytes";
      }
      default -> {
        byte[] body = randomBytes(random.nextInt(64));
        grpcCall(out, grpcPath, 1, body.length, body, true);
        what = "a gRPC message flagged compressed without an encoding";
      }
    }
    byte[] bytes = out.toByteArray();
    boolean closeMidway = random.nextInt(4) == 0 && bytes.length > 1;
    if (closeMidway) {
      bytes = Arrays.copyOf(bytes, 1 + random.nextInt(bytes.length - 1));
      what += ", connection closed after " + bytes.length + " bytes";
    }
    exchange(port, bytes);
    return what;
  }

  private static void exchange(int port, byte[] bytes) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(READ_TIMEOUT_MS);
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        int total = 0;
        while (total < MAX_READ_BYTES) {
          int n = in.read(buffer);
          if (n < 0) {
            break;
          }
          total += n;
        }
      } catch (SocketTimeoutException e) {
        // Nothing more came for a moment: close.
      } catch (IOException e) {
        // Reset by the server, or a broken pipe: it ended the connection.
      }
    }
  }

  /** A gRPC request on stream 1: HEADERS, then a DATA frame with a length-prefixed message. */
  private void grpcCall(
      ByteArrayOutputStream out,
      String path,
      int compressedFlag,
      int declaredLength,
      byte[] message,
      boolean endStream) {
    out.writeBytes(PREFACE);
    frame(out, SETTINGS, 0, 0, new byte[0]);
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    literal(block, ":method", "POST");
    literal(block, ":scheme", "http");
    literal(block, ":path", path);
    literal(block, ":authority", "127.0.0.1");
    literal(block, "content-type", "application/grpc");
    literal(block, "te", "trailers");
    frame(out, HEADERS, FLAG_END_HEADERS, 1, block.toByteArray());
    ByteBuffer data = ByteBuffer.allocate(5 + message.length);
    data.put((byte) compressedFlag).putInt(declaredLength).put(message);
    frame(out, DATA, endStream ? FLAG_END_STREAM : 0, 1, data.array());
  }

  /** HPACK: a literal header field without indexing, with a new name, no Huffman coding. */
  private static void literal(ByteArrayOutputStream block, String name, String value) {
    block.write(0);
    string(block, name.getBytes(US_ASCII));
    string(block, value.getBytes(US_ASCII));
  }

  private static void string(ByteArrayOutputStream block, byte[] bytes) {
    int length = bytes.length;
    if (length < 127) {
      block.write(length);
    } else {
      block.write(127);
      length -= 127;
      while (length >= 128) {
        block.write((length & 0x7f) | 0x80);
        length >>>= 7;
      }
      block.write(length);
    }
    block.writeBytes(bytes);
  }

  private static void frame(
      ByteArrayOutputStream out, int type, int flags, int streamId, byte[] payload) {
    header(out, payload.length, type, flags, streamId);
    out.writeBytes(payload);
  }

  private static void header(
      ByteArrayOutputStream out, int length, int type, int flags, int streamId) {
    out.write((length >>> 16) & 0xff);
    out.write((length >>> 8) & 0xff);
    out.write(length & 0xff);
    out.write(type & 0xff);
    out.write(flags & 0xff);
    out.write((streamId >>> 24) & 0x7f);
    out.write((streamId >>> 16) & 0xff);
    out.write((streamId >>> 8) & 0xff);
    out.write(streamId & 0xff);
  }

  private byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }
}
