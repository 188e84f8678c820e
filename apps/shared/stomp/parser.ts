/**
 * Incremental STOMP frame parser: bytes in, frames out, no I/O.
 *
 * Grammar (STOMP 1.2 "Augmented BNF"):
 *   frame   = command EOL *(header EOL) EOL *OCTET NULL *(EOL)
 *   command = client-command | server-command
 *   header  = header-name ":" header-value
 *   EOL     = [CR] LF
 * A frame may be split at any byte across `push` calls and a chunk may hold many frames.
 * EOLs between frames are heart-beats. With `content-length` the body is exactly that
 * many octets (NULs included) followed by NUL; without it the body ends at the first NUL.
 * Repeated headers: the first value wins. Escaping follows `escape.ts`.
 *
 * Every failure is a StompProtocolError; after one the parser is poisoned (the
 * connection must close) and further pushes throw the same error.
 */
import { StompProtocolError } from './errors';
import { escapeModeFor, unescapeHeader, type EscapeMode } from './escape';
import { CLIENT_COMMANDS, SERVER_COMMANDS, type Frame, type Headers, type StompVersion } from './frame';

export interface ParserLimits {
  /** Whole frame (command + headers + body) in bytes. */
  maxFrameBytes: number;
  maxBodyBytes: number;
  maxHeaders: number;
  /** One command or header line, in bytes, EOL excluded. */
  maxHeaderLineBytes: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxBodyBytes: 4 * 1024 * 1024,
  maxHeaders: 64,
  maxHeaderLineBytes: 8 * 1024 + 512,
};

export interface ParserOptions extends Partial<ParserLimits> {
  onFrame(frame: Frame): void;
  /** Called for each EOL seen between frames (a heart-beat). */
  onHeartbeat?(): void;
  /** Version for header escaping; null (before negotiation) applies 1.2 rules to non-CONNECT frames. */
  version?: StompVersion | null;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const COLON = 0x3a;

const enum State {
  Command,
  Headers,
  Body,
}

const COMMAND_RE = /^[A-Z]{1,32}$/;
/** Every command of the spec: a Set lookup before the general pattern. */
const KNOWN_COMMANDS = new Set<string>([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);

export class StompParser {
  limits: ParserLimits;
  private version: StompVersion | null;
  private readonly onFrame: (f: Frame) => void;
  private readonly onHeartbeat: () => void;

  private state = State.Command;
  /** Bytes of an unfinished command/header line carried over from the previous chunk. */
  private partialLine: Buffer | null = null;
  private command = '';
  private headers: Headers = Object.create(null);
  private headerCount = 0;
  private frameBytes = 0;
  /** -1 when the body ends at the first NUL. */
  private contentLength = -1;
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  /** Content-length body complete, waiting for its NUL terminator. */
  private awaitingNul = false;
  private failed: StompProtocolError | null = null;
  /** Escape rules of the frame being read (fixed by its command and the version). */
  private mode: EscapeMode = '1.2';
  /** Where in the current chunk the line being read starts (to find a receipt after a failure). */
  private cursor = 0;
  /** Frames still to emit before pushSome returns. */
  private frameBudget = Infinity;

  constructor(opts: ParserOptions) {
    this.limits = {
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
      maxHeaders: opts.maxHeaders ?? DEFAULT_LIMITS.maxHeaders,
      maxHeaderLineBytes: opts.maxHeaderLineBytes ?? DEFAULT_LIMITS.maxHeaderLineBytes,
    };
    this.version = opts.version ?? null;
    this.onFrame = opts.onFrame;
    this.onHeartbeat = opts.onHeartbeat ?? (() => {});
  }

  /** Switch the escaping rules (after CONNECT negotiated a version). */
  setVersion(v: StompVersion | null): void {
    this.version = v;
  }

  /** Change limits for the next frames (e.g. the larger post-CONNECT frame budget). */
  setLimits(l: Partial<ParserLimits>): void {
    this.limits = { ...this.limits, ...l };
  }

  /** True between frames: no partial frame is buffered. */
  get idle(): boolean {
    return this.state === State.Command && this.partialLine === null;
  }

  /** Bytes held for the unfinished frame. */
  get bufferedBytes(): number {
    return this.frameBytes + this.bodyBytes + (this.partialLine?.length ?? 0);
  }

  push(chunk: Buffer): void {
    this.pushSome(chunk, 0, Infinity);
  }

  /**
   * Like push, from `offset`, but stops once `maxFrames` frames were emitted; returns the
   * offset where it stopped (chunk.length when it took everything). Lets a caller spread one
   * large message over several turns of the event loop. It stops only between frames, so
   * nothing of the chunk is held when it returns early.
   */
  pushSome(chunk: Buffer, offset: number, maxFrames: number): number {
    if (this.failed) throw this.failed;
    this.cursor = offset;
    this.frameBudget = maxFrames;
    try {
      return this.consume(chunk, offset);
    } catch (e) {
      if (e instanceof StompProtocolError) {
        e.receiptId ??= this.headers.receipt ?? receiptNear(chunk, this.cursor, this.mode);
        this.failed = e;
      }
      throw e;
    }
  }

  private consume(chunk: Buffer, from: number): number {
    let i = from;
    const len = chunk.length;
    while (i < len) {
      if (this.frameBudget <= 0 && this.state === State.Command && this.partialLine === null) return i;
      if (this.state === State.Body) {
        i = this.consumeBody(chunk, i);
        continue;
      }
      // Command and header states read whole lines.
      this.cursor = i;
      if (this.partialLine === null) {
        if (this.state === State.Command) {
          // Fast path for heart-beats between frames.
          const b = chunk[i];
          if (b === LF) {
            i++;
            this.onHeartbeat();
            continue;
          }
          if (b === CR && i + 1 < len && chunk[i + 1] === LF) {
            i += 2;
            this.onHeartbeat();
            continue;
          }
        }
        const nl = chunk.indexOf(LF, i);
        if (nl < 0) {
          this.holdPartial(chunk, i, len);
          return len;
        }
        // The line is read in place (no copy) when it lies within this chunk.
        this.onLine(chunk, i, nl > i && chunk[nl - 1] === CR ? nl - 1 : nl, nl + 1 - i);
        i = nl + 1;
        continue;
      }
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        this.holdPartial(chunk, i, len);
        return len;
      }
      const line = Buffer.concat([this.partialLine, chunk.subarray(i, nl)]);
      this.partialLine = null;
      const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
      this.onLine(line, 0, end, line.length + 1);
      i = nl + 1;
    }
    return len;
  }

  /** One command or header line: bytes [start, end) of `buf`, EOL excluded; `consumed` counts the EOL. */
  private onLine(buf: Buffer, start: number, end: number, consumed: number): void {
    this.checkLine(end - start);
    if (this.state === State.Command) this.onCommandLine(buf, start, end, consumed);
    else this.onHeaderLine(buf, start, end, consumed);
  }

  private holdPartial(chunk: Buffer, from: number, to: number): void {
    const rest = chunk.subarray(from, to);
    const total = (this.partialLine?.length ?? 0) + rest.length;
    // A CR may end the line, so allow one byte of slack before judging the length.
    this.checkLine(total - 1);
    if (this.state === State.Command && this.partialLine === null && rest.length > 0 && rest[0] === NUL) {
      throw new StompProtocolError('bad-command', 'NUL byte where a command was expected');
    }
    this.partialLine = this.partialLine ? Buffer.concat([this.partialLine, rest]) : Buffer.from(rest);
  }

  private checkLine(lineBytes: number): void {
    if (lineBytes > this.limits.maxHeaderLineBytes) {
      const what = this.state === State.Command ? 'command line' : 'header line';
      throw new StompProtocolError(
        'header-line-too-long',
        `${what} longer than ${this.limits.maxHeaderLineBytes} bytes`,
      );
    }
    if (this.frameBytes + lineBytes > this.limits.maxFrameBytes) {
      throw new StompProtocolError('frame-too-large', `frame larger than ${this.limits.maxFrameBytes} bytes`);
    }
  }

  private onCommandLine(buf: Buffer, start: number, end: number, consumed: number): void {
    if (end === start) {
      // A lone CR LF that arrived split across chunks: still a heart-beat.
      this.onHeartbeat();
      return;
    }
    const command = buf.toString('latin1', start, end);
    if (!KNOWN_COMMANDS.has(command) && !COMMAND_RE.test(command)) {
      throw new StompProtocolError('bad-command', `not a STOMP command: "${printable(command)}"`);
    }
    this.command = command;
    this.mode = escapeModeFor(this.version, command);
    this.headers = Object.create(null);
    this.headerCount = 0;
    this.frameBytes = consumed;
    this.state = State.Headers;
  }

  private onHeaderLine(buf: Buffer, start: number, end: number, consumed: number): void {
    this.frameBytes += consumed;
    if (end === start) {
      this.startBody();
      return;
    }
    if (++this.headerCount > this.limits.maxHeaders) {
      throw new StompProtocolError('too-many-headers', `more than ${this.limits.maxHeaders} headers in one frame`);
    }
    // One decode per line; name and value are string slices of it.
    const line = buf.toString('utf8', start, end);
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new StompProtocolError(
        'bad-header',
        colon === 0 ? 'header with an empty name' : `header line without a colon: "${printable(line.slice(0, 64))}"`,
      );
    }
    const mode = this.mode;
    const name = mode === 'none' ? line.slice(0, colon) : unescapeHeader(line.slice(0, colon), mode);
    if (this.headers[name] !== undefined) return; // first value wins (1.2 "Repeated Header Entries")
    const raw = line.slice(colon + 1);
    this.headers[name] = mode === 'none' ? raw : unescapeHeader(raw, mode);
  }

  private startBody(): void {
    const cl = this.headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) {
        throw new StompProtocolError('bad-content-length', `content-length is not a non-negative integer: "${printable(cl)}"`);
      }
      const n = Number(cl);
      if (n > this.limits.maxBodyBytes) {
        throw new StompProtocolError('body-too-large', `body of ${n} bytes exceeds the limit of ${this.limits.maxBodyBytes}`);
      }
      if (this.frameBytes + n + 1 > this.limits.maxFrameBytes) {
        throw new StompProtocolError('frame-too-large', `frame larger than ${this.limits.maxFrameBytes} bytes`);
      }
      this.contentLength = n;
    } else this.contentLength = -1;
    this.bodyChunks = [];
    this.bodyBytes = 0;
    this.awaitingNul = false;
    this.state = State.Body;
  }

  private consumeBody(chunk: Buffer, i: number): number {
    const len = chunk.length;
    if (this.contentLength >= 0) {
      if (!this.awaitingNul) {
        const need = this.contentLength - this.bodyBytes;
        const take = Math.min(need, len - i);
        if (take > 0) {
          this.bodyChunks.push(chunk.subarray(i, i + take));
          this.bodyBytes += take;
          i += take;
        }
        if (this.bodyBytes < this.contentLength) {
          this.retainBodyChunks();
          return i;
        }
        this.awaitingNul = true;
        if (i >= len) {
          this.retainBodyChunks();
          return i;
        }
      }
      if (chunk[i] !== NUL) {
        throw new StompProtocolError('missing-nul', `frame body longer than its content-length of ${this.contentLength} (expected NUL)`);
      }
      this.emit();
      return i + 1;
    }
    const nul = chunk.indexOf(NUL, i);
    const end = nul < 0 ? len : nul;
    const piece = end - i;
    if (this.bodyBytes + piece > this.limits.maxBodyBytes) {
      throw new StompProtocolError('body-too-large', `body exceeds the limit of ${this.limits.maxBodyBytes} bytes`);
    }
    if (this.frameBytes + this.bodyBytes + piece > this.limits.maxFrameBytes) {
      throw new StompProtocolError('frame-too-large', `frame larger than ${this.limits.maxFrameBytes} bytes`);
    }
    if (piece > 0) {
      this.bodyChunks.push(chunk.subarray(i, end));
      this.bodyBytes += piece;
    }
    if (nul < 0) {
      this.retainBodyChunks();
      return len;
    }
    this.emit();
    return nul + 1;
  }

  /**
   * Body pieces are views into the caller's chunk; copy the last one when the frame
   * continues in a later chunk, since the caller may reuse its buffer.
   */
  private retainBodyChunks(): void {
    const last = this.bodyChunks.length - 1;
    if (last >= 0) this.bodyChunks[last] = Buffer.from(this.bodyChunks[last]);
  }

  private emit(): void {
    this.frameBudget--;
    const body =
      this.bodyChunks.length === 0
        ? EMPTY
        : this.bodyChunks.length === 1
          ? ownBytes(this.bodyChunks[0])
          : Buffer.concat(this.bodyChunks, this.bodyBytes);
    const frame: Frame = { command: this.command, headers: this.headers, body };
    this.state = State.Command;
    this.bodyChunks = [];
    this.bodyBytes = 0;
    this.frameBytes = 0;
    this.contentLength = -1;
    this.awaitingNul = false;
    this.headers = Object.create(null);
    this.onFrame(frame);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A body that is a small view into a large chunk is copied: a Buffer view keeps its whole
 * parent alive, and a body outlives its WebSocket message (offload, recent ring, backlogs),
 * so a 1-byte body cut from an 8 MB message would otherwise pin 8 MB.
 */
function ownBytes(view: Buffer): Buffer {
  return view.length * 2 >= view.buffer.byteLength ? view : Buffer.from(view);
}
const RECEIPT_LINE = /^receipt:([^\r\n]*)$/m;

/**
 * Best effort, after a parse failure: the `receipt` header of the frame around `at` in `chunk`
 * (from the NUL that ended the previous frame to the blank line that ends this one's headers).
 */
function receiptNear(chunk: Buffer, at: number, mode: EscapeMode): string | undefined {
  const start = at > 0 ? chunk.lastIndexOf(NUL, at - 1) + 1 : 0;
  let end = chunk.indexOf('\n\n', start);
  const crlf = chunk.indexOf('\r\n\r\n', start);
  if (end < 0 || (crlf >= 0 && crlf < end)) end = crlf;
  const head = chunk.toString('utf8', start, end < 0 ? Math.min(chunk.length, start + 64 * 1024) : end);
  const m = RECEIPT_LINE.exec(head);
  if (!m) return undefined;
  try {
    return mode === 'none' ? m[1] : unescapeHeader(m[1], mode);
  } catch {
    return m[1];
  }
}

function printable(s: string): string {
  return s.slice(0, 40).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
