/**
 * The simulated platform's e-certificate service (ecert.md): codes signed with the database's own
 * key, single use, and the ecToken a decoded code yields for the visit.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { Refusal } from '../core/settle.ts';
import type { Person } from '../core/world.ts';
import type { LedgerStore, LedgerTx } from '../ledger/types.ts';
import { describeZodError } from './envelope.ts';
import { issueCode, verifyCode } from './ecert-code.ts';
import type { PlatformExtensions } from './platform.ts';

/** How long an ecToken may be used for the visit. */
export const ECTOKEN_TTL_MS = 4 * 3600_000;

/** A new platform key: random, or derived from MEDPOS_SEED for reproducible runs. */
export function newPlatformKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  return env.MEDPOS_SEED ? createHash('sha256').update(`medpos-platform-key:${env.MEDPOS_SEED}`).digest() : randomBytes(32);
}

async function nonce(tx: LedgerTx, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if (!env.MEDPOS_SEED) return randomBytes(16);
  return createHash('sha256').update(`medpos-nonce:${env.MEDPOS_SEED}:${await tx.nextSeq('ecert_nonce')}`).digest().subarray(0, 16);
}

/** `medpos ecert issue`: a code for a person, valid `ttlSeconds` (default: the world's ecert_ttl_s). */
export async function issueEcert(ledger: LedgerStore, clock: Clock, psnNo: string, ttlSeconds?: number): Promise<string> {
  const world = ledger.world();
  if (!world.persons.has(psnNo)) throw new Refusal('person_unknown', `no insured person ${psnNo}`);
  return ledger.transaction(async (tx) =>
    issueCode({ psnNo, issuedAt: clock.now(), ttlSeconds: ttlSeconds ?? world.policy.ecert_ttl_s, key: tx.platformKey(), nonce: await nonce(tx) }),
  );
}

const ecQuery = z.looseObject({
  data: z.looseObject({
    orgId: z.string().max(30).optional(),
    businessType: z.string().max(10).optional(),
    operatorId: z.string().max(30).optional(),
    operatorName: z.string().max(50).optional(),
    officeId: z.string().max(30).optional(),
    officeName: z.string().max(100).optional(),
    ecQrCode: z.string({ error: 'must be the scanned code' }).min(1, 'must be the scanned code').max(4096, 'is too long'),
  }),
});

export const ecertExtensions: PlatformExtensions = {
  extra: {
    'ec.query': {
      idempotent: false, // every scan is judged afresh
      run: async (ctx, rawInput) => {
        const parsed = ecQuery.safeParse(rawInput);
        if (!parsed.success) throw new Refusal('malformed_input', describeZodError(parsed.error, 'input'));
        const d = parsed.data.data;
        const orgId = d.orgId || ctx.institution.fixmedins_code;
        if (orgId !== ctx.institution.fixmedins_code) throw new Refusal('ecert_wrong_institution', `orgId ${orgId} is not the calling institution`);
        const key = ctx.ledger.platformKey();
        const v = verifyCode(d.ecQrCode.trim(), key, ctx.clock.now());
        if (!v.ok) throw new Refusal(v.err_code, `e-certificate refused: ${v.message}`);
        const person = ctx.world.persons.get(v.psnNo);
        if (!person) throw new Refusal('person_unknown', 'the e-certificate names no insured person');
        const nonceHex = v.nonce.toString('hex');
        if (ctx.world.policy.ecert_single_use && (await ctx.ledger.ecertUsed(nonceHex))) {
          throw new Refusal('ecert_used', 'this e-certificate code was already used: ask the patient to refresh the code');
        }
        const token = `ECT${createHmac('sha256', key).update(`token:${nonceHex}:${orgId}`).digest('base64url').slice(0, 40)}`;
        const at = ctx.clock.now().getTime();
        await ctx.ledger.recordEcertUse({ nonce: nonceHex, psn_no: v.psnNo, token, fixmedins_code: orgId, used_at: at, token_expires_at: at + ECTOKEN_TTL_MS });
        const b = person.baseinfo;
        return {
          data: {
            ecToken: token,
            idNo: b.certno,
            idType: b.psn_cert_type,
            userName: b.psn_name,
            insuOrg: person.insuinfo[0]?.insuplc_admdvs ?? ctx.world.data.world.admdvs,
            gender: b.gend,
            birthday: b.brdy,
            nationality: b.naty,
          },
        };
      },
    },
  },
  resolveToken: async (ctx, token): Promise<Person> => {
    const row = await ctx.ledger.ecertToken(token);
    if (!row) throw new Refusal('ecert_token_unknown', 'the ecToken is not known: scan the e-certificate again');
    if (row.fixmedins_code !== ctx.institution.fixmedins_code) throw new Refusal('ecert_token_unknown', 'the ecToken was issued to another institution');
    if (ctx.clock.now().getTime() >= row.token_expires_at) throw new Refusal('ecert_token_expired', 'the ecToken has expired: scan the e-certificate again');
    const person = ctx.world.persons.get(row.psn_no);
    if (!person) throw new Refusal('person_unknown', 'the ecToken names no insured person');
    return person;
  },
};
