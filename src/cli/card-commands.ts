/**
 * `medpos card insert | read | watch` (card.md).
 *
 * card insert --world DIR --card CARD_NO [--reader N] [--vpcd HOST:PORT]
 * card insert --trace FILE [--reader N] [--vpcd HOST:PORT]
 *   Puts the virtual card of a world (or a recorded trace) into vpcd reader slot N (port = PORT + N,
 *   default 127.0.0.1:35963) and keeps it there until SIGINT/SIGTERM; then removes it and exits 0.
 *   If pcscd restarts meanwhile the card goes back in by itself. Standard output: one JSON line per
 *   event ({"event":"inserted"|"reconnecting"|"removed",...}).
 *
 * card read [--reader NAME] [--pin PIN] [--format json|pipe] [--trace FILE] [--timeout S]
 *           [--replay FILE] [--terminal-id ID]
 *   Reads the card in the reader, or waits up to --timeout seconds (default 10) for one, and prints
 *   its identity on standard output (UTF-8). --trace records every exchange to FILE; --replay reads a
 *   recorded trace in this process instead of PC/SC.
 *
 * card watch [--reader NAME] [--read] [--pin PIN]
 *   Follows the reader: one JSON line per status change and card event (and per read with --read),
 *   until SIGINT/SIGTERM.
 *
 * Exit codes: 0 done; 1 the read failed (or a file is invalid, vpcd unreachable); 2 usage;
 * 3 no card (no service, no reader, or nothing inserted in time); 4 wrong PIN (tries left);
 * 5 PIN blocked. Messages go to standard error; logs (pino) too.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadWorld, WorldError } from '../core/world.ts';
import { maskCardNo } from '../core/mask.ts';
import { log } from '../log.ts';
import {
  CardError,
  createInProcessReader,
  createPcscReader,
  formatIdentity,
  loadTrace,
  readCardIdentity,
  readIdentity,
  TraceRecorder,
  type CardReader,
  type IdentityFormat,
  type SimulatedCard,
} from '../drivers/card/index.ts';
import {
  cardImageFromWorld,
  createTraceCard,
  createVirtualCard,
  parseVpcdAddress,
  VpcdLink,
  WorldCardError,
} from '../../drivers/vcard/index.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, noCard: 3, pinWrong: 4, pinBlocked: 5 } as const;

function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError('must be a number of seconds.');
  const n = Number(value);
  if (!(n > 0) || n > 3600) throw new InvalidArgumentError('must be more than 0 and at most 3600 seconds.');
  return n;
}

function pinArg(value: string): string {
  if (!/^\d{6}$/.test(value)) throw new InvalidArgumentError('must be 6 digits.');
  return value;
}

function slot(value: string): number {
  if (!/^\d{1,2}$/.test(value)) throw new InvalidArgumentError('must be a reader slot number (0, 1, ...).');
  return Number(value);
}

function readerName(value: string): string {
  if (value.length === 0 || value.length > 200 || /[\x00-\x1f]/.test(value)) throw new InvalidArgumentError('must be a reader name.');
  return value;
}

function terminalIdArg(value: string): string {
  if (!/^[0-9A-Za-z]{1,32}$/.test(value)) throw new InvalidArgumentError('must be 1 to 32 letters or digits.');
  return value;
}

function vpcdArg(value: string): { host: string; port: number } {
  try {
    return parseVpcdAddress(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof CardError)) return EXIT.failed;
  switch (err.code) {
    case 'no_card':
    case 'no_reader':
    case 'no_service':
      return EXIT.noCard;
    case 'pin_wrong':
      return EXIT.pinWrong;
    case 'pin_blocked':
      return EXIT.pinBlocked;
    case 'pin_invalid':
      return EXIT.usage;
    default:
      return EXIT.failed;
  }
}

function fail(prefix: string, err: unknown): void {
  process.stderr.write(`medpos ${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the handlers. */
function untilSignal(): { stopped: Promise<string>; dispose: () => void } {
  let stop: (sig: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return {
    stopped,
    dispose: () => {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
    },
  };
}

function line(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

interface InsertOptions {
  world?: string;
  card?: string;
  reader: number;
  trace?: string;
  vpcd: { host: string; port: number };
}

async function runInsert(opts: InsertOptions, cmd: Command): Promise<number> {
  if (opts.trace !== undefined && (opts.world !== undefined || opts.card !== undefined)) {
    cmd.error('error: --trace serves a recorded card: give either --trace FILE or --world DIR --card CARD_NO', { exitCode: 2 });
  }
  if (opts.trace === undefined && (opts.world === undefined || opts.card === undefined)) {
    cmd.error('error: give --world DIR and --card CARD_NO (or --trace FILE)', { exitCode: 2 });
  }
  let card: SimulatedCard;
  let label: string;
  try {
    if (opts.trace !== undefined) {
      card = createTraceCard(loadTrace(opts.trace));
      label = `trace ${opts.trace}`;
    } else {
      card = createVirtualCard(cardImageFromWorld(loadWorld(opts.world!), opts.card!));
      label = `card ${maskCardNo(opts.card!)}`;
    }
  } catch (err) {
    if (err instanceof WorldCardError) {
      fail('card insert', err);
      return EXIT.usage;
    }
    if (err instanceof WorldError) {
      process.stderr.write(`medpos card insert: the world in ${opts.world} has problems:\n${err.message}\n`);
      return EXIT.failed;
    }
    fail('card insert', err);
    return EXIT.failed;
  }
  const port = opts.vpcd.port + opts.reader;
  if (port > 65535) cmd.error('error: --reader slot puts the vpcd port above 65535', { exitCode: 2 });
  const link = new VpcdLink(card, { host: opts.vpcd.host, port, reconnect: true });
  const where = `${opts.vpcd.host}:${port}`;
  link.on('disconnected', ({ expected, reason }) => {
    if (!expected) {
      log.warn({ vpcd: where, reason }, 'vpcd dropped the card; putting it back when vpcd returns');
      line({ event: 'reconnecting', vpcd: where, reason });
    }
  });
  link.on('connected', () => log.info({ vpcd: where }, 'card in the reader'));
  const sig = untilSignal();
  try {
    await link.insert();
  } catch (err) {
    sig.dispose();
    fail('card insert', err);
    return EXIT.failed;
  }
  line({ event: 'inserted', card: label, vpcd: where });
  const signal = await sig.stopped;
  sig.dispose();
  await link.remove();
  line({ event: 'removed', card: label, vpcd: where, signal });
  return EXIT.ok;
}

interface ReadOptions {
  reader?: string;
  pin?: string;
  format: IdentityFormat;
  trace?: string;
  timeout: number;
  replay?: string;
  terminalId?: string;
}

async function openReader(opts: { reader?: string | undefined; replay?: string | undefined; terminalId?: string | undefined }): Promise<CardReader> {
  const common = opts.terminalId === undefined ? {} : { terminalId: opts.terminalId };
  if (opts.replay !== undefined) {
    const trace = loadTrace(opts.replay);
    return createInProcessReader(createTraceCard(trace), { ...common, name: trace.reader || 'trace replay' });
  }
  const reader = await createPcscReader({ ...common, reader: opts.reader });
  if (reader.pcscAvailable === false) {
    const message = reader.snapshot.message;
    await reader.close();
    throw new CardError('no_service', 'open reader', message);
  }
  return reader;
}

async function runRead(opts: ReadOptions): Promise<number> {
  let reader: CardReader;
  try {
    reader = await openReader(opts);
  } catch (err) {
    fail('card read', err);
    return exitCodeFor(err);
  }
  const recorder = opts.trace !== undefined ? new TraceRecorder() : undefined;
  try {
    const id = await readIdentity(reader, { pin: opts.pin, timeoutMs: opts.timeout * 1000, trace: recorder });
    log.info({ card_no: maskCardNo(id.card_no), reader: id.device_id }, 'card read');
    if (recorder) recorder.save(opts.trace!);
    process.stdout.write(formatIdentity(id, opts.format) + '\n');
    return EXIT.ok;
  } catch (err) {
    if (recorder && recorder.count > 0) {
      try {
        recorder.save(opts.trace!);
      } catch (saveErr) {
        log.warn({ err: (saveErr as Error).message }, 'could not save the trace of the failed read');
      }
    }
    fail('card read', err);
    return exitCodeFor(err);
  } finally {
    await reader.close();
  }
}

interface WatchOptions {
  reader?: string;
  read: boolean;
  pin?: string;
  terminalId?: string;
}

async function runWatch(opts: WatchOptions): Promise<number> {
  const sig = untilSignal();
  let reader: CardReader;
  try {
    reader = await openReader(opts);
  } catch (err) {
    sig.dispose();
    fail('card watch', err);
    return exitCodeFor(err);
  }
  line({ kind: 'status', ...reader.snapshot });
  reader.on('status', (s) => line({ kind: 'status', ...s }));
  reader.on('card', (ev) => {
    line({ kind: 'card', ...ev });
    if (ev.type === 'inserted' && opts.read) {
      readCardIdentity(reader, { pin: opts.pin, timeoutMs: 1000, minCardSeq: ev.cardSeq }).then(
        ({ identity, cardSeq }) => line({ kind: 'identity', cardSeq, identity }),
        (err: unknown) =>
          line({ kind: 'read-error', cardSeq: ev.cardSeq, code: err instanceof CardError ? err.code : 'failed', message: String((err as Error).message) }),
      );
    }
  });
  await sig.stopped;
  sig.dispose();
  await reader.close();
  return EXIT.ok;
}

export function registerCardCommands(program: Command): void {
  const card = program
    .command('card')
    .description('social-security card: the reader driver and the virtual card')
    .addHelpText('after', '\nExit codes: 0 done, 1 failed, 2 usage, 3 no card/reader/service, 4 wrong PIN, 5 PIN blocked.');

  card
    .command('insert')
    .description('put a virtual card (a world\'s card, or a recorded trace) into a vpcd reader until SIGINT/SIGTERM')
    .option('--world <dir>', 'world directory (medpos-world/1)')
    .option('--card <card_no>', 'card number in the world\'s cards.json')
    .option('--reader <n>', 'vpcd reader slot (port = vpcd port + n)', slot, 0)
    .option('--trace <file>', 'serve this recorded trace instead of a world\'s card')
    .option('--vpcd <host:port>', 'where vpcd listens', vpcdArg, { host: '127.0.0.1', port: 35963 })
    .action(async (opts: InsertOptions, cmd: Command) => {
      process.exitCode = await runInsert(opts, cmd);
    });

  card
    .command('read')
    .description('read the identity of the card in the reader (waiting up to --timeout for one)')
    .option('--reader <name>', 'reader name (exact, or a part of it); default the first reader', readerName)
    .option('--pin <pin>', 'verify this 6-digit PIN first', pinArg)
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'pipe']).default('json'))
    .option('--trace <file>', 'record every APDU exchange of the read to this JSON file')
    .option('--timeout <s>', 'seconds to wait for a card', seconds, 10)
    .option('--replay <file>', 'read a recorded trace in this process instead of a PC/SC reader')
    .option('--terminal-id <id>', 'terminal number to report in the identity', terminalIdArg)
    .action(async (opts: ReadOptions) => {
      process.exitCode = await runRead(opts);
    });

  card
    .command('watch')
    .description('follow the reader: one JSON line per status change and card event, until SIGINT/SIGTERM')
    .option('--reader <name>', 'reader name (exact, or a part of it); default the first reader', readerName)
    .option('--read', 'read every card inserted and print its identity', false)
    .option('--pin <pin>', 'with --read: verify this PIN first', pinArg)
    .option('--terminal-id <id>', 'terminal number to report in identities', terminalIdArg)
    .action(async (opts: WatchOptions) => {
      process.exitCode = await runWatch(opts);
    });
}
