/**
 * The simulated national platform: one envelope in, one envelope out. Every request runs in one
 * ledger transaction; a retried msgid is answered from the stored response; a refusal writes
 * nothing but a line in the audit log of attempts.
 */
import { stamp, type Clock } from '../core/clock.ts';
import { Refusal } from '../core/settle.ts';
import type { Person } from '../core/world.ts';
import { log } from '../log.ts';
import { LedgerUnavailable, type LedgerStore, type LedgerTx } from '../ledger/types.ts';
import { carriesPsnNo, describeZodError, MAX_REQUEST_BYTES, PLATFORM_UNAVAILABLE, requestEnvelope, sameBody, type RequestEnvelope, type ResponseEnvelope } from './envelope.ts';
import { parseInput } from './inputs.ts';
import { HANDLERS, INPUT_OF, type Ctx } from './transactions.ts';

export type Infno = keyof typeof HANDLERS;
export const INFNOS = Object.keys(HANDLERS) as Infno[];

/** Extra transactions plugged in by other parts (ec.query), and the e-certificate token resolver. */
export interface PlatformExtensions {
  resolveToken?: (ctx: Omit<Ctx, 'tokens'>, token: string) => Promise<Person>;
  extra?: Record<string, { run: (ctx: Omit<Ctx, 'tokens'>, input: Record<string, unknown>) => Promise<unknown>; idempotent: boolean }>;
}

export interface CallOptions {
  /** Generate the msgid (fixmedins_code + time + sequence) inside the transaction. */
  fillMsgid?: boolean;
}

export class Platform {
  constructor(
    readonly ledger: LedgerStore,
    readonly clock: Clock,
    private readonly ext: PlatformExtensions = {},
  ) {}

  /** Handles a request given as JSON text or as a parsed value. Never throws. */
  async call(request: string | unknown, opts: CallOptions = {}): Promise<ResponseEnvelope> {
    let env: RequestEnvelope | undefined;
    try {
      let value = request;
      if (typeof request === 'string') {
        if (Buffer.byteLength(request) > MAX_REQUEST_BYTES) throw new Refusal('too_large', `the request is larger than ${MAX_REQUEST_BYTES} bytes`);
        try {
          value = JSON.parse(request);
        } catch (err) {
          throw new Refusal('malformed_json', `the request is not valid JSON: ${(err as Error).message}`);
        }
      }
      const parsed = requestEnvelope.safeParse(opts.fillMsgid && isObject(value) ? { msgid: '', ...value } : value);
      if (!parsed.success) throw new Refusal('malformed_envelope', describeZodError(parsed.error, 'envelope'));
      env = parsed.data;
      const e = env;
      if (e.msgid === '' && !opts.fillMsgid && e.infno !== 'ec.query') throw new Refusal('malformed_envelope', 'envelope.msgid: must not be empty');
      if (carriesPsnNo(e.input) && !e.insuplc_admdvs) throw new Refusal('malformed_envelope', 'envelope.insuplc_admdvs: is required when input carries psn_no');
      return await this.ledger.transaction((tx) => this.apply(tx, e, opts));
    } catch (err) {
      return await this.refuse(env, err);
    }
  }

  private async apply(tx: LedgerTx, env: RequestEnvelope, opts: CallOptions): Promise<ResponseEnvelope> {
    const world = tx.world();
    const now = stamp(this.clock);
    const extra = this.ext.extra?.[env.infno];
    const idempotent = extra ? extra.idempotent : true;
    const msgid = env.msgid || (idempotent && opts.fillMsgid ? await this.newMsgid(tx, env.fixmedins_code, now.compact) : '');
    if (idempotent) {
      const stored = await tx.findMessage(msgid);
      if (stored) {
        // compared only on a retry, so that the first delivery pays for no hashing
        if (!sameBody(JSON.parse(stored.request) as RequestEnvelope, env)) throw new Refusal('msgid_conflict', `msgid ${msgid} was already used for a different request`);
        log.info({ msgid, infno: env.infno }, 'answered a retried msgid from the stored response');
        return JSON.parse(stored.response) as ResponseEnvelope;
      }
    }
    const institution = world.institutions.get(env.fixmedins_code);
    if (!institution) throw new Refusal('institution_unknown', `institution ${env.fixmedins_code} is not known to the platform`);
    if (!institution.designated) throw new Refusal('not_designated', `institution ${env.fixmedins_code} is not a designated medical-insurance institution`);
    const sent = env.msgid === msgid ? env : { ...env, msgid };
    const ctx: Ctx = { ledger: tx, world, clock: this.clock, env: sent, institution, msgid, stamp: now, tokens: (token) => this.resolveToken(ctx, token) };
    let output: unknown;
    if (extra) {
      output = await extra.run(ctx, env.input);
    } else {
      const infno = env.infno as Infno;
      const handler = HANDLERS[infno] as ((ctx: Ctx, input: unknown) => Promise<unknown>) | undefined;
      if (!handler) throw new Refusal('unknown_infno', `transaction ${env.infno} is not supported`);
      output = await handler(ctx, parseInput(INPUT_OF[infno], env.input));
    }
    const response: ResponseEnvelope = {
      infcode: 0,
      inf_refmsgid: `${world.data.world.admdvs}${now.compact}${String(await tx.nextSeq('refmsg')).padStart(10, '0')}`,
      refmsg_time: now.compactMs,
      respond_time: now.compactMs,
      err_msg: null,
      output,
      signtype: null,
      cainfo: null,
    };
    if (idempotent) {
      await tx.saveMessage({
        msgid,
        infno: env.infno,
        fixmedins_code: env.fixmedins_code,
        request: JSON.stringify(sent),
        response: JSON.stringify(response),
        at: now.time,
      });
    }
    return response;
  }

  private resolveToken(ctx: Ctx, token: string): Promise<Person> {
    if (!this.ext.resolveToken) throw new Refusal('cert_type_unsupported', 'e-certificates (mdtrt_cert_type 01) are not available');
    return this.ext.resolveToken(ctx, token);
  }

  /** fixmedins_code + time + 4-digit sequence, as senders make them; never one already used. */
  private async newMsgid(tx: LedgerTx, fixmedinsCode: string, compact: string): Promise<string> {
    for (;;) {
      const id = `${fixmedinsCode}${compact}${String((await tx.nextSeq('msgid')) % 10_000).padStart(4, '0')}`;
      if (!(await tx.findMessage(id))) return id;
    }
  }

  private async refuse(env: RequestEnvelope | undefined, err: unknown): Promise<ResponseEnvelope> {
    const refusal =
      err instanceof Refusal
        ? err
        : err instanceof LedgerUnavailable
          ? new Refusal(PLATFORM_UNAVAILABLE, '医保平台暂不可用 (the ledger database cannot be reached): nothing was applied; send the same msgid again later')
          : new Refusal('internal_error', `medpos could not process the request: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof LedgerUnavailable) {
      log.warn({ err: err.message, msgid: env?.msgid, infno: env?.infno }, 'the ledger is unavailable: refused the request');
      return this.envelopeOf(refusal, 0); // nothing can be recorded where the database cannot be reached
    }
    if (!(err instanceof Refusal)) log.error({ err }, 'unexpected error while handling a request');
    const now = stamp(this.clock);
    let serial = 0;
    try {
      await this.ledger.transaction(async (tx) => {
        serial = await tx.nextSeq('refmsg');
        await tx.recordAttempt({
          msgid: env?.msgid ?? null,
          infno: env?.infno ?? null,
          err_code: refusal.err_code,
          err_msg: refusal.message,
          at: now.time,
        });
      });
    } catch (auditErr) {
      log.warn({ err: auditErr }, 'could not record the refused attempt');
    }
    return this.envelopeOf(refusal, serial);
  }

  private envelopeOf(refusal: Refusal, serial: number): ResponseEnvelope {
    const now = stamp(this.clock);
    let admdvs = '000000';
    try {
      admdvs = this.ledger.world().data.world.admdvs;
    } catch {
      /* no world loaded: the refusal still answers */
    }
    return {
      infcode: -1,
      inf_refmsgid: `${admdvs}${now.compact}${String(serial).padStart(10, '0')}`,
      refmsg_time: now.compactMs,
      respond_time: now.compactMs,
      err_msg: refusal.message,
      err_code: refusal.err_code,
      output: null,
      signtype: null,
      cainfo: null,
    };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
