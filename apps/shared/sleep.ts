/** Resolves after `ms` milliseconds (a plain timer: it keeps the process alive meanwhile). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
