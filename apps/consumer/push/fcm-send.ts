/**
 * One sendEachForMulticast call (one message, many tokens) or one sendEach call (several
 * messages, each to its tokens), its answers classified per token. Shared by the in-thread
 * sender and the send workers (push-send-worker.ts), so both read FCM's answers the same way.
 */
import type { BaseMessage, BatchResponse, Message, Messaging } from 'firebase-admin/messaging';
import { outcomeOf, type Outcome } from './fcm-outcome';

const SENT: Outcome = { kind: 'sent' };

/** Never rejects: a batch that fails as a whole gives every token that failure's outcome. */
export function sendMulticast(messaging: Messaging, message: BaseMessage, tokens: string[]): Promise<Outcome[]> {
  return classified(() => messaging.sendEachForMulticast({ ...message, tokens }), tokens.length);
}

/** A message and the tokens it goes to. */
export interface SendPart {
  message: BaseMessage;
  tokens: string[];
}

/**
 * Several messages in one sendEach call (at most 500 tokens in all): what small pushes with
 * different content share, rather than one call (and one HTTP/2 connection) each. Outcomes in
 * the order of the parts' tokens.
 */
export function sendParts(messaging: Messaging, parts: SendPart[]): Promise<Outcome[]> {
  const messages: Message[] = [];
  for (const p of parts) for (const token of p.tokens) messages.push({ ...p.message, token });
  return classified(() => messaging.sendEach(messages), messages.length);
}

async function classified(call: () => Promise<BatchResponse>, n: number): Promise<Outcome[]> {
  try {
    const res = await call();
    return res.responses.map((r) => (r.success ? SENT : outcomeOf(r.error)));
  } catch (err) {
    const whole = outcomeOf(err);
    // A whole-batch refusal says nothing about any one token: never delete tokens for it.
    const o: Outcome = whole.kind === 'drop-token' ? { kind: 'failed', reason: whole.reason, detail: String((err as Error).message) } : whole;
    return Array.from({ length: n }, () => o);
  }
}
