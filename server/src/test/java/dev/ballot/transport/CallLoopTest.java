package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Finding the event loop a handler runs on, and answering on it or, failing that, in place. */
class CallLoopTest {
  private final DefaultEventLoop loop = new DefaultEventLoop();

  @AfterEach
  void stop() throws InterruptedException {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  @Test
  void noLoopOffTheNetworkThreads() {
    assertThat(CallLoop.current()).isNull();
  }

  @Test
  void onAnEventLoopItIsThatLoop() throws Exception {
    Executor found = loop.submit(CallLoop::current).get(5, TimeUnit.SECONDS);
    assertThat(found).isSameAs(loop);
  }

  @Test
  void anAnswerFromAnotherThreadRunsOnTheLoop() throws Exception {
    Thread loopThread = loop.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
    CompletableFuture<Thread> answeredOn = new CompletableFuture<>();

    CallLoop.answerOn(loop, () -> answeredOn.complete(Thread.currentThread()));

    assertThat(answeredOn.get(5, TimeUnit.SECONDS)).isSameAs(loopThread);
  }

  @Test
  void withoutALoopTheAnswerRunsInPlace() {
    AtomicReference<Thread> answeredOn = new AtomicReference<>();
    CallLoop.answerOn(null, () -> answeredOn.set(Thread.currentThread()));
    assertThat(answeredOn.get()).isSameAs(Thread.currentThread());
  }

  @Test
  void aLoopThatNoLongerTakesTasksStillGetsTheAnswerSent() {
    Executor closed =
        task -> {
          throw new RejectedExecutionException("shut down");
        };
    AtomicReference<Thread> answeredOn = new AtomicReference<>();
    CallLoop.answerOn(closed, () -> answeredOn.set(Thread.currentThread()));
    assertThat(answeredOn.get()).isSameAs(Thread.currentThread());
  }
}
