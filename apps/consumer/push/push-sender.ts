/**
 * Where pushes go: FCM through firebase-admin, or nowhere (no credentials configured: the
 * decisions are still made and counted, so the embedded default and tests show them).
 */
import type { BaseMessage, Messaging } from 'firebase-admin/messaging';
import type { Outcome } from './fcm-outcome';
import { sendMulticast, sendParts, type SendPart } from './fcm-send';
import type { PushMetrics } from './push-metrics';

export interface PushSender {
  /** "fcm", or "off" when pushes are not configured. */
  readonly kind: string;
  /**
   * Send one message to at most 500 tokens (the caller splits). Never rejects: a batch that
   * fails as a whole gives every token that failure's outcome.
   */
  send(message: BaseMessage, tokens: string[]): Promise<Outcome[]>;
  /**
   * Several messages in one call (at most 500 tokens in all; sendEach): outcomes in the order of
   * the parts' tokens, never rejects. A sender without it gets one send() per message.
   */
  sendParts?(parts: SendPart[]): Promise<Outcome[]>;
  close(): Promise<void>;
}

/** firebase-admin's sendEachForMulticast, its answers classified per token, its latency measured. */
export class FcmSender implements PushSender {
  readonly kind = 'fcm';

  constructor(
    private readonly messaging: Messaging,
    private readonly m: PushMetrics,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async send(message: BaseMessage, tokens: string[]): Promise<Outcome[]> {
    const end = this.m.fcmSeconds.startTimer();
    this.m.batches.inc();
    try {
      return await sendMulticast(this.messaging, message, tokens);
    } finally {
      end();
    }
  }

  async sendParts(parts: SendPart[]): Promise<Outcome[]> {
    const end = this.m.fcmSeconds.startTimer();
    this.m.batches.inc();
    try {
      return await sendParts(this.messaging, parts);
    } finally {
      end();
    }
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

const SENT: Outcome = { kind: 'sent' };

/** No credentials: count what would have been sent, send nothing. */
export class DisabledSender implements PushSender {
  readonly kind = 'off';

  constructor(private readonly m: PushMetrics) {}

  async send(_message: BaseMessage, tokens: string[]): Promise<Outcome[]> {
    this.m.wouldSend.inc(tokens.length);
    return tokens.map(() => SENT);
  }

  async sendParts(parts: SendPart[]): Promise<Outcome[]> {
    return (await Promise.all(parts.map((p) => this.send(p.message, p.tokens)))).flat();
  }

  async close(): Promise<void> {}
}
