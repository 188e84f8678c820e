import { describe, expect, it } from 'vitest';
import { deferred } from '../../shared/testing/deferred';
import { ReceiptQueue } from './receipts';

const tick = () => new Promise((r) => setTimeout(r, 0));


describe('ReceiptQueue', () => {
  it('writes receipts in frame order whatever order their confirms come in', async () => {
    const sent: string[] = [];
    const q = new ReceiptQueue((id) => sent.push(id));
    const a = deferred();
    const b = deferred();
    q.add('1', a.promise);
    q.add('2');
    q.add('3', b.promise);
    q.add('4', a.promise); // the same pack as 1, but behind 3: must wait for 3
    const later = q.reserve('5');
    q.add('6');
    b.resolve();
    await tick();
    expect(sent).toEqual([]);
    a.resolve();
    await tick();
    expect(sent).toEqual(['1', '2', '3', '4']);
    later();
    expect(sent).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(q.pending).toBe(0);
  });

  it('groups receipts that wait for one shared confirm (one handler per pack)', async () => {
    const sent: string[] = [];
    const q = new ReceiptQueue((id) => sent.push(id));
    const pack = deferred();
    let handlers = 0;
    const counted = { then: (ok: () => void, ko: (e: unknown) => void) => (handlers++, pack.promise.then(ok, ko)) } as unknown as Promise<void>;
    for (let i = 0; i < 1000; i++) q.add(String(i), counted);
    expect(handlers).toBe(1);
    pack.resolve();
    await tick();
    expect(sent).toHaveLength(1000);
    expect(sent[999]).toBe('999');
  });

  it('runs onError for a confirm that fails, and whenDrained after the last receipt', async () => {
    const sent: string[] = [];
    const q = new ReceiptQueue((id) => sent.push(id));
    const bad = deferred();
    const errors: unknown[] = [];
    q.add('x', bad.promise, (e) => errors.push(e));
    bad.reject(new Error('nack'));
    await tick();
    expect(errors).toHaveLength(1);
    const q2 = new ReceiptQueue((id) => sent.push(id));
    const ok = deferred();
    q2.add('y', ok.promise);
    let drained = false;
    q2.whenDrained(() => (drained = true));
    expect(drained).toBe(false);
    ok.resolve();
    await tick();
    expect(drained).toBe(true);
  });

  it('handles 100,000 receipts on one pack in linear time', async () => {
    let n = 0;
    const q = new ReceiptQueue(() => n++);
    const pack = deferred();
    for (let i = 0; i < 100_000; i++) q.add(String(i), pack.promise);
    pack.resolve();
    await tick();
    expect(n).toBe(100_000);
  });
});
