/**
 * Store errors across the PGlite worker boundary (pglite-worker.ts → pglite-store.ts).
 * postMessage's structured clone keeps only plain data (a subclass of Error arrives as a plain
 * Error at best), yet callers branch on the class: the REST API answers 400 for
 * InvalidArgumentError (shared/http/http-errors.ts), the writer retries StoreUnavailableError.
 * So the kind travels as a tag and the class is rebuilt on the other side.
 */
import { StoreUnavailableError } from './message-store';
import { InvalidArgumentError } from './validate';

export type WireErrorKind = 'invalid-argument' | 'unavailable' | 'other';

export interface WireError {
  kind: WireErrorKind;
  name: string;
  message: string;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof InvalidArgumentError) return { kind: 'invalid-argument', name: err.name, message: err.message };
  if (err instanceof StoreUnavailableError) return { kind: 'unavailable', name: err.name, message: err.message };
  if (err instanceof Error) return { kind: 'other', name: err.name, message: err.message };
  return { kind: 'other', name: 'Error', message: String(err) };
}

export function fromWireError(e: WireError): Error {
  if (e.kind === 'invalid-argument') return new InvalidArgumentError(e.message);
  if (e.kind === 'unavailable') return new StoreUnavailableError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
