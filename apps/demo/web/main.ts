/**
 * The demo chat page: pick a name and a room, see the room's recent
 * history, chat live, and ride out a broker restart. After joining, the name and room are
 * kept in the address (?name=&room=) so a reload rejoins and shows the history again.
 * Query options: reconnectDelay (ms, default 2000), history (messages on join, default 50).
 */
import { ChatConnection, type ConnectionStatus } from './chat-connection';
import type { ChatMessage } from './room-feed';
import { TrendingPanel } from './trending-panel';

interface DemoConfig {
  wsPath: string;
  roomTemplate: string;
  /** 'token': the broker checks JWTs; ask it for a development token (DEMO_TOKENS). */
  auth: 'login' | 'token';
}

const NAME_RE = /^[A-Za-z0-9_.@-]{1,64}$/; // within the broker's login rule (apps/broker/session/authenticator.ts)
const ROOM_RE = /^[A-Za-z0-9_.~-]{1,128}$/;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const joinForm = $<HTMLFormElement>('join');
const nameInput = $<HTMLInputElement>('name');
const roomInput = $<HTMLInputElement>('room');
const chat = $<HTMLElement>('chat');
const roomTitle = $<HTMLElement>('room-title');
const list = $<HTMLOListElement>('messages');
const sendForm = $<HTMLFormElement>('send');
const textInput = $<HTMLInputElement>('text');
const statusEl = $<HTMLElement>('status');
const errorEl = $<HTMLElement>('error');
const leaveButton = $<HTMLButtonElement>('leave');
const trending = new TrendingPanel($<HTMLOListElement>('trending-words'), $<HTMLElement>('trending-note'));

const params = new URLSearchParams(location.search);
const reconnectDelayMs = clampInt(params.get('reconnectDelay'), 2000, 100, 60_000);
const historyLast = clampInt(params.get('history'), 50, 0, 200);

let connection: ChatConnection | null = null;
let me = '';

function clampInt(raw: string | null, def: number, min: number, max: number): number {
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : def;
}

async function loadConfig(): Promise<DemoConfig> {
  const fallback: DemoConfig = { wsPath: '/ws', roomTemplate: '/topic/room.{roomId}', auth: 'login' };
  try {
    const res = await fetch('/demo/config.json');
    return res.ok ? { ...fallback, ...((await res.json()) as Partial<DemoConfig>) } : fallback;
  } catch {
    return fallback;
  }
}

function setStatus(s: ConnectionStatus): void {
  statusEl.textContent = s;
  statusEl.className = `status ${s}`;
  if (s === 'online') showError(null);
}

function showError(text: string | null): void {
  errorEl.hidden = text === null;
  errorEl.textContent = text ?? '';
}

function renderMessage(m: ChatMessage, index: number): void {
  const li = document.createElement('li');
  li.dataset.id = m.id;
  li.dataset.testid = 'message';
  if (m.history) li.classList.add('history');
  if (m.sender === me) li.classList.add('mine');
  const sender = document.createElement('span');
  sender.className = 'sender';
  sender.textContent = m.sender;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = m.text;
  li.append(sender, text);
  if (m.history) {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = 'history';
    li.append(tag);
  }
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  list.insertBefore(li, list.children[index] ?? null);
  // The feed drops its oldest entries past its limit; keep the list the same length.
  while (list.children.length > (connection?.feed.messages.length ?? Infinity)) list.firstElementChild?.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** A token for `name` that is also a member of `room` (the broker's POST /demo/token). */
async function developmentToken(name: string, room: string): Promise<string> {
  const res = await fetch('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: name, room }) });
  const body = (await res.json()) as { token?: string; error?: string; reason?: string };
  if (!res.ok || !body.token) throw new Error(`no demo token: ${body.reason ?? body.error ?? res.status}`);
  return body.token;
}

async function join(name: string, room: string): Promise<void> {
  const config = await loadConfig();
  me = name;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let passcode = '';
  try {
    if (config.auth === 'token') passcode = await developmentToken(name, room);
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  connection = new ChatConnection({
    brokerURL: `${scheme}://${location.host}${config.wsPath}`,
    name,
    passcode,
    destination: config.roomTemplate.replace('{roomId}', room),
    historyLast,
    reconnectDelayMs,
    onMessage: renderMessage,
    onStatus: setStatus,
    onError: showError,
  });
  list.replaceChildren();
  roomTitle.textContent = `Room ${room} — you are ${name}`;
  joinForm.hidden = true;
  chat.hidden = false;
  const url = new URL(location.href);
  url.searchParams.set('name', name);
  url.searchParams.set('room', room);
  history.replaceState(null, '', url);
  connection.start();
  trending.start(room);
  textInput.focus();
}

joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = nameInput.value.trim();
  const room = roomInput.value.trim();
  if (!NAME_RE.test(name) || !ROOM_RE.test(room)) return;
  localStorage.setItem('stompbox-demo-name', name);
  void join(name, room);
});

sendForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = textInput.value.trim();
  if (!text || !connection) return;
  if (connection.send(text)) {
    textInput.value = '';
    window.setTimeout(() => void trending.refresh(), 500); // counted once stored, a moment later
  }
  else showError('Not connected; the message was not sent. Reconnecting…');
});

leaveButton.addEventListener('click', () => {
  void connection?.stop();
  connection = null;
  trending.stop();
  chat.hidden = true;
  joinForm.hidden = false;
  const url = new URL(location.href);
  url.searchParams.delete('name');
  url.searchParams.delete('room');
  history.replaceState(null, '', url);
});

nameInput.value = params.get('name') ?? localStorage.getItem('stompbox-demo-name') ?? '';
roomInput.value = params.get('room') ?? roomInput.value;
const presetName = params.get('name');
const presetRoom = params.get('room');
if (presetName && presetRoom && NAME_RE.test(presetName) && ROOM_RE.test(presetRoom)) void join(presetName, presetRoom);
