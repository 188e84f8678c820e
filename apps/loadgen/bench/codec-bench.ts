/**
 * bench:core (d): parse throughput of the shared STOMP codec, in process. A stream of
 * MESSAGE-sized SEND frames (typical chat: ~100-byte body) and of 4 KiB bodies is cut into
 * 64 KiB chunks (frames split across chunk borders, as sockets deliver them) and parsed
 * repeatedly for a fixed time.
 */
import { StompParser } from '../../shared/stomp/parser';
import { encodeFrame } from '../../shared/stomp/encoder';

export interface CodecResult {
  bodyBytes: number;
  frameBytes: number;
  mbPerSec: number;
  framesPerSec: number;
}

function stream(bodyBytes: number, frames: number): { chunks: Buffer[]; frameBytes: number } {
  const body = Buffer.alloc(bodyBytes, 0x61);
  const one = encodeFrame('SEND', { destination: '/topic/room.lobby-42', 'content-type': 'text/plain', 'content-length': body.length, receipt: 'r-1234' }, body, '1.2');
  const all = Buffer.concat(Array.from({ length: frames }, () => one));
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += 64 * 1024) chunks.push(all.subarray(i, i + 64 * 1024));
  return { chunks, frameBytes: one.length };
}

export function benchParse(bodyBytes: number, ms = 1_500): CodecResult {
  const { chunks, frameBytes } = stream(bodyBytes, Math.max(1000, Math.floor((4 << 20) / (bodyBytes + 100))));
  let frames = 0;
  let bytes = 0;
  const parser = new StompParser({ onFrame: () => frames++ });
  parser.setVersion('1.2');
  // warm-up
  for (const c of chunks) parser.push(c);
  frames = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (const c of chunks) {
      parser.push(c);
      bytes += c.length;
    }
    t = performance.now();
  }
  const s = (t - t0) / 1000;
  return { bodyBytes, frameBytes, mbPerSec: bytes / s / 1e6, framesPerSec: frames / s };
}
