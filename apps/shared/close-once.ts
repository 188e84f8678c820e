/**
 * `close`/`stop` methods that may be called more than once (a second signal, a close racing a
 * failure path, a caller and a test both cleaning up): the first call does the work, every
 * call returns that same promise, so no resource is released twice and nobody returns early.
 */
export function closeOnce<T = void>(fn: () => Promise<T>): () => Promise<T> {
  let done: Promise<T> | null = null;
  return () => (done ??= fn());
}
