/**
 * One person in one room over @stomp/stompjs: connects with the name as CONNECT login
 * (development mode, no auth), subscribes with history, reconnects after the broker goes
 * away (stompjs `reconnectDelay`) and re-subscribes from the newest message it has, so
 * messages sent while it was away are recovered, each shown once.
 */
import { Client, type IMessage } from '@stomp/stompjs';
import { encodeBody, RoomFeed, toChatMessage, type ChatMessage } from './room-feed';

export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface ChatOptions {
  brokerURL: string;
  name: string;
  /** A JWT for the CONNECT passcode (a broker with authentication); empty in development mode. */
  passcode?: string;
  destination: string;
  historyLast: number;
  reconnectDelayMs: number;
  /** A message was added at `index` of `feed.messages`. */
  onMessage(m: ChatMessage, index: number): void;
  onStatus(s: ConnectionStatus): void;
  /** The broker sent an ERROR frame. */
  onError(message: string): void;
}

export class ChatConnection {
  readonly feed = new RoomFeed();
  private readonly client: Client;

  constructor(private readonly opts: ChatOptions) {
    this.client = new Client({
      brokerURL: opts.brokerURL,
      connectHeaders: { login: opts.name, passcode: opts.passcode ?? '' },
      reconnectDelay: opts.reconnectDelayMs,
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
    });
    this.client.onConnect = () => {
      opts.onStatus('online');
      // A new subscription on every (re)connect: stompjs does not resubscribe by itself.
      this.client.subscribe(opts.destination, (frame) => this.receive(frame), this.feed.subscribeHeaders(opts.historyLast));
    };
    this.client.onWebSocketClose = () => {
      if (this.client.active) opts.onStatus('reconnecting');
    };
    this.client.onStompError = (frame) => opts.onError(frame.headers.message ?? 'broker error');
  }

  private receive(frame: IMessage): void {
    const m = toChatMessage(frame.headers, frame.body);
    if (!m) return;
    const index = this.feed.add(m);
    if (index >= 0) this.opts.onMessage(m, index);
  }

  start(): void {
    this.opts.onStatus('connecting');
    this.client.activate();
  }

  /** Publish a chat line; false when not connected (the page keeps the text). */
  send(text: string): boolean {
    if (!this.client.connected) return false;
    this.client.publish({ destination: this.opts.destination, body: encodeBody(text), headers: { 'content-type': 'application/json' } });
    return true;
  }

  async stop(): Promise<void> {
    await this.client.deactivate();
    this.opts.onStatus('offline');
  }
}
