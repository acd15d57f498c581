package dev.ballot.kv;

/**
 * An engine that passes every call to another and leaves it open when closed; a test overrides what
 * it changes.
 */
public class ForwardingKvEngine implements KvEngine {
  protected final KvEngine inner;

  public ForwardingKvEngine(KvEngine inner) {
    this.inner = inner;
  }

  @Override
  public KvView live() {
    return inner.live();
  }

  @Override
  public KvView snapshot() {
    return inner.snapshot();
  }

  @Override
  public KvBatch newBatch() {
    return inner.newBatch();
  }

  @Override
  public void write(KvBatch batch, long index) {
    inner.write(batch, index);
  }

  @Override
  public void deleteRange(KvSpace space, byte[] from, byte[] to, long index) {
    inner.deleteRange(space, from, to, index);
  }

  @Override
  public void close() {}
}
