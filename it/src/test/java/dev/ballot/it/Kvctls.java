package dev.ballot.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** kvctl as a separate process, in a process group of its own so that its children stop too. */
final class Kvctls {
  private Kvctls() {}

  /** Starts {@code setsid java dev.ballot.cli.Kvctl args}; output goes to files in {@code dir}. */
  static Process start(Path dir, String... args) throws IOException {
    Path classPath = dir.resolve("classpath.args");
    Files.writeString(
        classPath,
        "-cp\n\"" + System.getProperty("java.class.path") + "\"\n",
        StandardCharsets.UTF_8);
    List<String> command = new ArrayList<>();
    command.add("setsid");
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("@" + classPath);
    command.add("dev.ballot.cli.Kvctl");
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectOutput(dir.resolve("kvctl.out").toFile())
        .redirectError(dir.resolve("kvctl.err").toFile())
        .start();
  }

  /** Sends SIGname to the process group that {@code process} leads (setsid made it leader). */
  static void signalGroup(Process process, String name) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, "--", "-" + process.pid())
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        throw new AssertionError("kill -" + name + " did not finish");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
