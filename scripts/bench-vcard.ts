/**
 * The card bench's virtual card, in a process of its own: the bench's PC/SC calls then never wait
 * on a card that only their own (blocked) thread could answer. The parent drives it over IPC
 * (insert, remove); every request has a deadline, so a silent holder fails the figure, never hangs it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createVirtualCard, VpcdLink, type CardImage } from '../drivers/vcard/index.ts';

type Op = 'insert' | 'remove';
interface Request {
  id: number;
  op: Op;
}
interface Reply {
  id: number;
  error?: string;
}

export interface CardHolder {
  insert(): Promise<void>;
  remove(): Promise<void>;
  close(): void;
}

const HERE = new URL(import.meta.url).pathname;

/** Starts the holder process with `image` linked to vpcd at `address` (not inserted yet). */
export function startCardHolder(image: CardImage, address: { host: string; port: number }, deadlineMs = 10_000): CardHolder {
  const child: ChildProcess = fork(HERE, [JSON.stringify({ image, address })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map<number, (r: Reply) => void>();
  child.on('message', (m: Reply) => waiting.get(m.id)?.(m));
  child.on('exit', (code, signal) => {
    for (const done of waiting.values()) done({ id: -1, error: `the virtual card's process ended (${code ?? signal})` });
  });
  const ask = (op: Op) =>
    new Promise<void>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => settle({ id, error: `the virtual card did not ${op} within ${deadlineMs} ms` }), deadlineMs);
      const settle = (r: Reply) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (r.error) reject(new Error(r.error));
        else resolve();
      };
      waiting.set(id, settle);
      child.send({ id, op } satisfies Request);
    });
  return {
    insert: () => ask('insert'),
    remove: () => ask('remove'),
    close: () => {
      child.kill('SIGKILL');
    },
  };
}

// The holder process itself.
if (process.argv[1] === HERE && process.send) {
  const { image, address } = JSON.parse(process.argv[2]!) as { image: CardImage; address: { host: string; port: number } };
  const link = new VpcdLink(createVirtualCard(image), address);
  process.on('message', (m: Request) => {
    link[m.op]().then(
      () => process.send!({ id: m.id } satisfies Reply),
      (err: unknown) => process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0)); // the bench has gone
}
