import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseWorld, readWorldFiles, WorldError } from '../../src/core/world.ts';
import { freshPlatform, WORLDS } from '../helpers.ts';

const INFNOS = ['9001', '1101', '1312', '2101', '2102', '2103', '2201', '2202', '2203', '2204', '2205', '2206', '2207', '2208', '2601', '3201', '3202', 'ec.query'];
const VALID_SALE = {
  druginfo: { psn_no: '44030000000000000005', mdtrt_cert_type: '02', mdtrt_cert_no: '440305198807300554', insutype: '310', med_type: '41', medfee_sumamt: 25, acct_used_flag: '1' },
  drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric: 12.5, cnt: 2, det_item_fee_sumamt: 25 }],
};

/** A value with one leaf replaced by something arbitrary, or one key dropped. */
function mutate(value: unknown, path: number[], replacement: unknown, drop: boolean): unknown {
  if (value === null || typeof value !== 'object' || path.length === 0) return replacement;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path;
  const i = head! % entries.length;
  if (drop && rest.length === 0) entries.splice(i, 1);
  else entries[i] = [entries[i]![0], mutate(entries[i]![1], rest, replacement, drop)];
  const out = Object.fromEntries(entries);
  return Array.isArray(value) ? Object.values(out) : out;
}

describe('hostile input', () => {
  const { platform, ledger } = freshPlatform(WORLDS.demo);
  const written = () => ledger.db.prepare('SELECT (SELECT count(*) FROM settlements) + (SELECT count(*) FROM visits) + (SELECT count(*) FROM fee_lines) + (SELECT total(balc) FROM accounts) AS n').get();

  it('arbitrary requests are answered, never thrown, and a refusal writes nothing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string(),
          fc.record({ infno: fc.constantFrom(...INFNOS), msgid: fc.string({ maxLength: 40 }), fixmedins_code: fc.constantFrom('P44030000001', 'H44030000001', 'x'), insuplc_admdvs: fc.constant('440300'), input: fc.anything() }),
        ),
        (req) => {
          const before = written();
          const res = platform.call(req as never);
          expect([0, -1]).toContain(res.infcode);
          if (res.infcode === -1) {
            expect(res.err_code).not.toBe('internal_error');
            expect(written()).toEqual(before);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a valid sale with one field mangled is refused cleanly or settles correctly', () => {
    let n = 0;
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.oneof(fc.anything(), fc.double(), fc.string()), fc.boolean(), (path, value, drop) => {
        const input = mutate(VALID_SALE, path, value, drop);
        const before = written();
        const res = platform.call({ infno: '2102', msgid: `FZ${n++}`, fixmedins_code: 'P44030000001', insuplc_admdvs: '440300', input });
        expect([0, -1]).toContain(res.infcode);
        if (res.infcode === -1) {
          expect(res.err_code).not.toBe('internal_error');
          expect(written()).toEqual(before);
        } else {
          const s = (res.output as { setlinfo: { medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number; psn_cash_pay: number } }).setlinfo;
          expect(Math.round(s.fund_pay_sumamt * 100) + Math.round(s.acct_pay * 100) + Math.round(s.psn_cash_pay * 100)).toBe(Math.round(s.medfee_sumamt * 100));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a mangled world is loaded whole or refused with the problems listed, never anything else', () => {
    const files = readWorldFiles(WORLDS.demo);
    fc.assert(
      fc.property(fc.constantFrom('world.json', 'catalog.json', 'persons.json', 'cards.json'), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.anything(), fc.boolean(), (file, path, value, drop) => {
        const mangled = { ...files, [file]: mutate(files[file as keyof typeof files], path, value, drop) };
        try {
          parseWorld(mangled);
        } catch (err) {
          expect(err).toBeInstanceOf(WorldError);
          expect((err as WorldError).problems.length).toBeGreaterThan(0);
          for (const p of (err as WorldError).problems) expect(p.file).toMatch(/\.json$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
