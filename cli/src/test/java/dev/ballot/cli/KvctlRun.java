package dev.ballot.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One kvctl invocation in-process: its exit code and what it printed. */
record KvctlRun(int code, String out, String err) {

  /** The same, with standard output as bytes. */
  record Bytes(int code, byte[] out, String err) {}

  static Bytes run(Map<String, String> env, byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    int code = Kvctl.run(env, new ByteArrayInputStream(stdin), out, new PrintWriter(err), args);
    return new Bytes(code, out.toByteArray(), err.toString());
  }

  static KvctlRun run(Map<String, String> env, String... args) {
    Bytes run = run(env, new byte[0], args);
    return new KvctlRun(run.code(), new String(run.out(), StandardCharsets.UTF_8), run.err());
  }

  static KvctlRun run(String... args) {
    return run(Map.of(), args);
  }

  /** kvctl --endpoints=ENDPOINTS ARGS... */
  static KvctlRun at(String endpoints, String... args) {
    return run(Map.of(), withEndpoints(endpoints, args));
  }

  /** kvctl --endpoints=ENDPOINTS ARGS... with {@code stdin} on standard input, output as bytes. */
  static Bytes bytesAt(String endpoints, byte[] stdin, String... args) {
    return run(Map.of(), stdin, withEndpoints(endpoints, args));
  }

  private static String[] withEndpoints(String endpoints, String... args) {
    String[] full = new String[args.length + 1];
    full[0] = "--endpoints=" + endpoints;
    System.arraycopy(args, 0, full, 1, args.length);
    return full;
  }
}
