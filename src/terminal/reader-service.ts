/**
 * The local card service for browser-based hospital software (issue 13 item 5): the card in the
 * terminal's reader, read on request. `GET /reader/status`, `GET /reader/card` (the identity as
 * `medpos card read` prints it), `GET /reader/ReadCardBas` (the vendor library's `|` string) and
 * `POST /reader/pin` where the world asks for a PIN. Origins and loopback-only are the browser
 * guard's (browser-guard.ts, `--allow-origin`), which runs before these routes.
 *
 * The PIN given is kept in memory for the card it was given for (reader and insertion), never logged,
 * and forgotten when that card leaves. A checkout owns the card it identified its patient with, and
 * any read it has under way: the service then answers 409 rather than take the card.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CardError, formatPipe, type CardIdentity } from '../drivers/card/index.ts';
import { describeZodError } from '../platform/envelope.ts';
import type { Devices, ReaderId } from './devices.ts';

export interface ReaderServiceOptions {
  devices: Devices;
  /** The world's card_pin_required. */
  pinRequired: boolean;
  /** Does an open checkout own the card now? */
  checkoutHoldsCard: () => boolean;
}

const READ_TIMEOUT_MS = 5000;
const pinBody = z.strictObject({ pin: z.string().regex(/^\d{6}$/, 'must be 6 digits') });

class ReaderRefusal extends Error {
  constructor(
    readonly status: number,
    readonly err_code: string,
    message: string,
  ) {
    super(message);
  }
}

function refusalOf(err: unknown): ReaderRefusal {
  if (err instanceof ReaderRefusal) return err;
  if (err instanceof CardError) {
    switch (err.code) {
      case 'no_card':
      case 'card_removed':
        return new ReaderRefusal(404, 'no_card', 'no card in the reader');
      case 'no_service':
      case 'no_reader':
        return new ReaderRefusal(503, err.code, err.message);
      case 'pin_blocked':
        return new ReaderRefusal(423, 'card_blocked', 'the card is blocked (too many wrong PINs)');
      case 'pin_wrong':
        return new ReaderRefusal(401, 'pin_wrong', `wrong PIN, ${err.triesLeft ?? '?'} tries left`);
      case 'pin_invalid':
        return new ReaderRefusal(400, 'pin_invalid', 'the PIN is 6 digits');
      default:
        return new ReaderRefusal(422, `card_${err.code}`, err.message);
    }
  }
  return new ReaderRefusal(500, 'internal_error', (err as Error).message);
}

export async function readerService(app: FastifyInstance, o: ReaderServiceOptions): Promise<void> {
  const { devices } = o;
  /** The PIN given for one insertion of a card. */
  let given: { reader: ReaderId; seq: number; pin: string } | undefined;
  // one read at a time from here, so that a read under way that is not ours is a checkout's
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  const present = () => {
    const card = devices.presentCard();
    if (given && (!card || card.reader !== given.reader || card.seq !== given.seq)) given = undefined; // that card left
    return card;
  };

  /** Reads the card in the reader now, with `pin` (or the one given for it). */
  const read = (pin?: string): Promise<CardIdentity> =>
    serial(async () => {
      if (o.checkoutHoldsCard() || devices.reading > 0) throw new ReaderRefusal(409, 'card_in_use', 'an open checkout at this terminal is using the card');
      const card = present();
      if (!card) throw new ReaderRefusal(404, 'no_card', 'no card in the reader');
      const usePin = pin ?? given?.pin;
      if (o.pinRequired && usePin === undefined) throw new ReaderRefusal(401, 'pin_required', 'this area asks for the card PIN: POST /reader/pin {"pin":"123456"} first');
      const r = await devices.readCard(new Map([[card.reader, card.seq]]), { pin: o.pinRequired ? usePin : undefined, timeoutMs: READ_TIMEOUT_MS });
      if (pin !== undefined) given = { reader: r.reader, seq: r.cardSeq, pin };
      return r.identity;
    });

  const answer = async (reply: FastifyReply, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const r = refusalOf(err);
      if (r.err_code === 'pin_wrong' || r.err_code === 'card_blocked') given = undefined;
      return reply.code(r.status).header('cache-control', 'no-store').send({ err_code: r.err_code, err_msg: r.message });
    }
  };

  app.get('/reader/status', async (_req, reply) => {
    const card = present();
    return reply.header('cache-control', 'no-store').send({
      readers: devices.view().readers.map((r) => ({ id: r.id, name: r.name, status: r.status, message: r.message, card_present: r.cardPresent })),
      card_present: card !== undefined,
      pin_required: o.pinRequired,
      pin_given: given !== undefined,
      in_use: o.checkoutHoldsCard() || devices.reading > 0,
    });
  });

  app.get('/reader/card', (_req, reply) =>
    answer(reply, async () => {
      const id = await read(); // before any header: a refusal answers in JSON
      void reply.header('cache-control', 'no-store').send(id);
    }),
  );

  app.get('/reader/ReadCardBas', (_req, reply) =>
    answer(reply, async () => {
      const id = await read();
      void reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(formatPipe(id));
    }),
  );

  app.post('/reader/pin', (req, reply) =>
    answer(reply, async () => {
      const b = pinBody.safeParse(req.body);
      if (!b.success) throw new ReaderRefusal(400, 'malformed_input', describeZodError(b.error, 'body'));
      // checked on the card now: a wrong PIN is told at once (and costs a try, as on the card itself)
      await read(b.data.pin);
      void reply.header('cache-control', 'no-store').send({ pin_given: true });
    }),
  );
}
