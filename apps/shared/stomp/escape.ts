/**
 * Header value escaping (STOMP 1.2 "Value Encoding"; 1.1 defines the same minus `\r`).
 * STOMP 1.0 has no escaping, and CONNECT / CONNECTED frames are never escaped in any
 * version, so that 1.0 peers can read them.
 */
import { StompProtocolError } from './errors';
import type { StompVersion } from './frame';

/** Which escape set applies to a frame: none (1.0, CONNECT/CONNECTED), 1.1 or 1.2. */
export type EscapeMode = 'none' | '1.1' | '1.2';

export function escapeModeFor(version: StompVersion | null, command: string): EscapeMode {
  if (command === 'CONNECT' || command === 'CONNECTED' || command === 'STOMP') return 'none';
  if (version === '1.0') return 'none';
  if (version === '1.1') return '1.1';
  return '1.2';
}

const NEEDS_ESCAPE = /[\\\r\n:]/;

/** Escape a header name or value for the wire. */
export function escapeHeader(value: string, mode: EscapeMode): string {
  if (mode === 'none' || !NEEDS_ESCAPE.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x3a) out += '\\c';
    // 1.1 has no \r escape; a raw CR inside a 1.1 value cannot be sent safely, so drop it.
    else if (c === 0x0d) out += mode === '1.2' ? '\\r' : '';
    else out += value[i];
  }
  return out;
}

/** Undo escaping; an undefined escape sequence is a protocol error (1.2 "Value Encoding"). */
export function unescapeHeader(raw: string, mode: EscapeMode): string {
  if (mode === 'none' || raw.indexOf('\\') < 0) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = raw[++i];
    if (next === 'n') out += '\n';
    else if (next === 'c') out += ':';
    else if (next === '\\') out += '\\';
    else if (next === 'r' && mode === '1.2') out += '\r';
    else {
      throw new StompProtocolError(
        'bad-escape',
        `undefined escape sequence "\\${next ?? ''}" in header "${raw.slice(0, 64)}" (STOMP ${mode} allows \\n \\c \\\\${mode === '1.2' ? ' \\r' : ''})`,
      );
    }
  }
  return out;
}
