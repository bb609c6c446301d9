/** Runs async tasks one at a time, in the order they were queued: a mutex for one process. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined); // the next task waits for this one, not for its success
    return result;
  }
}
