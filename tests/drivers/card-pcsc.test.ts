/**
 * The PC/SC reader's monitoring against a fake pcsclite binding (in process; the real daemon is in
 * card-hw*.test.ts): no binding, no service at start, service lost and back (a new context each time,
 * the old one closed), readers unplugged and plugged back, the reader chosen by name, a card swapped
 * between two polls, and close() releasing every handle.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CardError, PcscReader, readIdentity, type CardEvent, type ReaderSnapshot } from '../../src/drivers/card/index.ts';
import { createVirtualCard } from '../../drivers/vcard/index.ts';
import { demoImage, EventLog, expectedIdentity, FakePcsc, GEN1, GEN2, GEN3, ST, type FakeNativeContext } from './card-helpers.ts';

const readers: PcscReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
});

function open(fake: FakePcsc, opts: { reader?: string } = {}) {
  const reader = new PcscReader({ ...opts, retryMs: 20, load: async () => fake.factory });
  readers.push(reader);
  const statuses = new EventLog<ReaderSnapshot>();
  const cards = new EventLog<CardEvent>();
  reader.on('status', statuses.push);
  reader.on('card', cards.push);
  return { reader, statuses, cards };
}

const status = (s: ReaderSnapshot['status']) => (x: ReaderSnapshot) => x.status === s;

describe('PC/SC reader monitoring (fake binding)', () => {
  it('without the pcsclite module: no service, "PC/SC is unavailable", and no retries', async () => {
    const reader = new PcscReader({ retryMs: 20, load: () => Promise.reject(new Error("Cannot find module 'pcsclite'")) });
    readers.push(reader);
    await reader.start();
    expect(reader.pcscAvailable).toBe(false);
    expect(reader.snapshot.status).toBe('no service');
    expect(reader.snapshot.message).toMatch(/^PC\/SC is unavailable: .*Cannot find module 'pcsclite'/);
    const err = (await readIdentity(reader, { timeoutMs: 60 }).catch((e: unknown) => e)) as CardError;
    expect(err.code).toBe('no_service');
  });

  it('pcscd absent at start: no service, retried until it answers, then the reader and the card', async () => {
    const fake = new FakePcsc();
    fake.up = false;
    const { reader, statuses, cards } = open(fake);
    await reader.start();
    expect(reader.snapshot.status).toBe('no service');
    expect(reader.snapshot.message).toMatch(/PC\/SC service not available \(is pcscd running\?\)/);
    await fake.attemptLog.waitFor(() => fake.attempts >= 3, 'three attempts');
    fake.setup = (ctx) => ctx.addReader('Virtual PCD 00 00');
    fake.up = true;
    await statuses.waitFor(status('waiting for card'), 'the reader');
    expect(reader.snapshot.reader).toBe('Virtual PCD 00 00');
    fake.last.readers['Virtual PCD 00 00']!.insert(createVirtualCard(demoImage(GEN2)));
    await cards.waitFor((e) => e.type === 'inserted', 'insertion');
    expect(await readIdentity(reader, { timeoutMs: 1000 })).toEqual(expectedIdentity(GEN2, 'Virtual PCD 00 00'));
    expect(reader.snapshot.status).toBe('card ready');
  });

  it('service lost: the old context and its readers are closed, a new context picks the card up again', async () => {
    const fake = new FakePcsc();
    const card = createVirtualCard(demoImage(GEN3));
    fake.setup = (ctx) => ctx.addReader('Virtual PCD 00 00').insert(card);
    const { reader, statuses, cards } = open(fake);
    await reader.start();
    await cards.waitFor((e) => e.type === 'inserted', 'first insertion');
    const first = fake.last;
    const firstReader = first.readers['Virtual PCD 00 00']!;
    fake.up = false;
    const mark = statuses.items.length;
    first.die();
    await statuses.waitFor(status('no service'), 'no service', 5000, mark);
    expect(cards.items.at(-1)).toEqual({ type: 'removed', cardSeq: 1 });
    await statuses.waitFor(() => first.closed && firstReader.closed, 'old handles closed');
    fake.up = true;
    await cards.waitFor((e) => e.type === 'inserted' && e.cardSeq === 2, 'the card again on a new context');
    expect(fake.contexts.length).toBe(2);
    expect((await readIdentity(reader, { timeoutMs: 1000 })).psn_name).toBe('李堃');
  });

  it('reader unplugged and plugged back', async () => {
    const fake = new FakePcsc();
    fake.setup = (ctx) => ctx.addReader('Virtual PCD 00 00').insert(createVirtualCard(demoImage(GEN1)));
    const { reader, statuses, cards } = open(fake);
    await reader.start();
    await cards.waitFor((e) => e.type === 'inserted', 'insertion');
    const ctx: FakeNativeContext = fake.last;
    ctx.unplug('Virtual PCD 00 00');
    await statuses.waitFor((s) => s.status === 'no reader' && s.readers.length === 0, 'no reader');
    expect(cards.items.at(-1)).toEqual({ type: 'removed', cardSeq: 1 });
    const back = ctx.addReader('Virtual PCD 00 00');
    await statuses.waitFor((s) => s.status === 'waiting for card' && s.reader === 'Virtual PCD 00 00', 'reader back');
    back.insert(createVirtualCard(demoImage(GEN1)));
    expect((await readIdentity(reader, { timeoutMs: 1000 })).psn_name).toBe('李国栋');
    expect(fake.contexts.length).toBe(1);
  });

  it('the reader is chosen by name; cards in other readers are ignored', async () => {
    const fake = new FakePcsc();
    fake.setup = (ctx) => {
      ctx.addReader('Virtual PCD 00 00').insert(createVirtualCard(demoImage(GEN1)));
      ctx.addReader('Virtual PCD 00 01');
    };
    const { reader, statuses } = open(fake, { reader: '00 01' });
    await reader.start();
    await statuses.waitFor((s) => s.readers.length === 2 && s.status === 'waiting for card', 'both readers');
    expect(reader.snapshot.reader).toBe('Virtual PCD 00 01');
    expect(reader.cardPresent).toBe(false);
    fake.last.readers['Virtual PCD 00 01']!.insert(createVirtualCard(demoImage(GEN2)));
    expect((await readIdentity(reader, { timeoutMs: 1000 })).device_id).toBe('Virtual PCD 00 01');
  });

  it('by default the first reader; a missing named reader says so', async () => {
    const fake = new FakePcsc();
    fake.setup = (ctx) => {
      ctx.addReader('A');
      ctx.addReader('B');
    };
    const a = open(fake);
    await a.reader.start();
    await a.statuses.waitFor((s) => s.readers.length === 2, 'readers');
    expect(a.reader.snapshot.reader).toBe('A');
    const b = open(fake, { reader: 'Z' });
    await b.reader.start();
    await b.statuses.waitFor((s) => s.readers.length === 2, 'readers');
    expect(b.reader.snapshot).toMatchObject({ status: 'no reader', message: 'no reader named "Z"' });
  });

  it('a card swapped between two polls (event counter moved) is a removal and a new insertion', async () => {
    const fake = new FakePcsc();
    fake.setup = (ctx) => ctx.addReader('R').insert(createVirtualCard(demoImage(GEN1)));
    const { reader, cards } = open(fake);
    await reader.start();
    await cards.waitFor((e) => e.type === 'inserted', 'insertion');
    const r = fake.last.readers['R']!;
    r.card = createVirtualCard(demoImage(GEN3));
    r.events += 2; // out and in again before the next poll
    r.report();
    await cards.waitFor((e) => e.type === 'inserted' && e.cardSeq === 2, 'second insertion');
    expect(cards.items.map((e) => e.type)).toEqual(['inserted', 'removed', 'inserted']);
    expect((await readIdentity(reader, { timeoutMs: 1000 })).psn_name).toBe('李堃');
  });

  it('a mute card is an error status; a card pulled during the read is card_removed', async () => {
    const fake = new FakePcsc();
    fake.setup = (ctx) => ctx.addReader('R').insert(createVirtualCard(demoImage(GEN1)));
    const { reader, statuses, cards } = open(fake);
    await reader.start();
    await cards.waitFor((e) => e.type === 'inserted', 'insertion');
    const r = fake.last.readers['R']!;
    const original = r.transmit.bind(r);
    r.transmit = (data, len, p, cb) => {
      if (r.transmits >= 4) r.card = null; // pulled: vpcd answers 0 bytes
      original(data, len, p, cb);
    };
    const err = (await readIdentity(reader, { timeoutMs: 1000 }).catch((e: unknown) => e)) as CardError;
    expect(err.code).toBe('card_removed');
    r.card = createVirtualCard(demoImage(GEN1));
    r.events++;
    r.report(ST.MUTE);
    await statuses.waitFor((s) => s.status === 'error' && /mute/.test(s.message), 'mute');
  });

  it('close() closes the context and every reader, and stops retrying', async () => {
    const fake = new FakePcsc();
    fake.setup = (ctx) => ctx.addReader('R');
    const { reader, statuses } = open(fake);
    await reader.start();
    await statuses.waitFor(status('waiting for card'), 'reader');
    const ctx = fake.last;
    await reader.close();
    expect(ctx.closed).toBe(true);
    expect(ctx.readers['R']!.closed).toBe(true);
    // While pcscd is away a retry timer is pending; close() clears it.
    fake.up = false;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const down = new PcscReader({ retryMs: 5, load: async () => fake.factory });
      await down.start();
      expect(down.snapshot.status).toBe('no service');
      expect(vi.getTimerCount()).toBe(1);
      await down.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
