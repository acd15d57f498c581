package dev.ballot.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One kvctl invocation in-process: its exit code and what it printed. */
record KvctlRun(int code, String out, String err) {

  static KvctlRun run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kvctl.run(env, new PrintWriter(out), new PrintWriter(err), args);
    return new KvctlRun(code, out.toString(), err.toString());
  }

  static KvctlRun run(String... args) {
    return run(Map.of(), args);
  }

  /** kvctl --endpoints=ENDPOINTS ARGS... */
  static KvctlRun at(String endpoints, String... args) {
    String[] full = new String[args.length + 1];
    full[0] = "--endpoints=" + endpoints;
    System.arraycopy(args, 0, full, 1, args.length);
    return run(full);
  }
}
