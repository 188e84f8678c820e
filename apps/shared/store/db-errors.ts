/**
 * Telling a bad row from a broken database. Prisma 7 wraps driver-adapter failures in
 * PrismaClientKnownRequestError (code P2010 for raw queries) with
 * `meta.driverAdapterError.cause = { kind: 'postgres', originalCode: SQLSTATE, ... }` for errors
 * the server raised, or `{ kind: 'DatabaseNotReachable' | ... }` for connection trouble.
 */

export interface DbErrorInfo {
  /** SQLSTATE when the server raised the error. */
  sqlState?: string;
  message: string;
  /** True when the data itself was refused (retrying the same row cannot succeed). */
  isDataError: boolean;
}

/**
 * SQLSTATE classes that blame the row: 22 data exception (bad encoding, NUL, bad JSON),
 * 23 integrity constraint violation, 54 program limit exceeded (e.g. index row too large).
 */
const DATA_CLASSES = new Set(['22', '23', '54']);

export function describeDbError(err: unknown): DbErrorInfo {
  const e = err as { meta?: { driverAdapterError?: { cause?: Record<string, unknown> } }; cause?: unknown; code?: unknown; message?: string };
  const cause = e?.meta?.driverAdapterError?.cause;
  let sqlState: string | undefined;
  let message = e?.message ?? String(err);
  if (cause) {
    if (typeof cause.originalCode === 'string') sqlState = cause.originalCode;
    else if (typeof cause.code === 'string' && /^[0-9A-Z]{5}$/.test(cause.code)) sqlState = cause.code;
    const detail = typeof cause.detail === 'string' ? ` (${cause.detail})` : '';
    if (typeof cause.originalMessage === 'string') message = cause.originalMessage + detail;
    else if (typeof cause.message === 'string') message = cause.message + detail;
    else if (typeof cause.kind === 'string') message = `${cause.kind}: ${lastLine(message)}`;
  } else if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    // Errors straight from `pg` or PGlite (not through Prisma).
    sqlState = e.code;
  }
  return { sqlState, message: lastLine(message), isDataError: !!sqlState && DATA_CLASSES.has(sqlState.slice(0, 2)) };
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? s;
}
