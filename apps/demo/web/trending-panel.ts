/**
 * The room's trending words beside the chat: polls GET /api/rooms/:id/trending every few
 * seconds while the room is open (the live `.trending` topic is off by default, the REST route
 * is always there) and shows each word with the number of messages that used it.
 */

interface TrendingAnswer {
  windowMinutes: number;
  words: Array<{ word: string; count: number }>;
}

export class TrendingPanel {
  private timer: number | null = null;
  private room = '';

  constructor(
    private readonly list: HTMLOListElement,
    private readonly note: HTMLElement,
    private readonly everyMs = 5_000,
    private readonly windowMinutes = 5,
  ) {}

  start(room: string): void {
    this.stop();
    this.room = room;
    this.list.replaceChildren();
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), this.everyMs);
  }

  stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
  }

  /** Fetch and show once (also called right after sending, so a new word shows quickly). */
  async refresh(): Promise<void> {
    const room = this.room;
    if (!room) return;
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/trending?window=${this.windowMinutes}m&limit=10`);
      if (room !== this.room) return; // the user switched rooms meanwhile
      if (!res.ok) {
        this.note.textContent = res.status === 404 ? 'Trending words are off on this server.' : `Trending words unavailable (${res.status}).`;
        return;
      }
      this.render((await res.json()) as TrendingAnswer);
    } catch {
      this.note.textContent = 'Trending words unavailable.';
    }
  }

  private render(a: TrendingAnswer): void {
    this.note.textContent = a.words.length === 0 ? `No words in the last ${a.windowMinutes} minutes yet.` : `Last ${a.windowMinutes} minutes`;
    this.list.replaceChildren(
      ...a.words.map((w) => {
        const li = document.createElement('li');
        li.dataset.testid = 'trending-word';
        const word = document.createElement('span');
        word.className = 'word';
        word.textContent = w.word;
        const count = document.createElement('span');
        count.className = 'count';
        count.textContent = String(w.count);
        li.append(word, count);
        return li;
      }),
    );
  }
}
