/** The simulated platform's e-certificate code: issue, verify, and refuse everything else. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { issueCode, looksLikeEcertCode, verifyCode, ECERT_MAX_LENGTH } from '../../src/platform/ecert-code.ts';
import { classifyLine } from '../../src/drivers/scanner/classify.ts';

const KEY = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const OTHER_KEY = Buffer.from('ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100', 'hex');
const ISSUED = new Date('2026-03-01T08:30:00.123Z');
const NONCE = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const issue = (over: Partial<Parameters<typeof issueCode>[0]> = {}): string =>
  issueCode({ psnNo: '43000000000000000001', issuedAt: ISSUED, ttlSeconds: 60, key: KEY, nonce: NONCE, ...over });
const at = (ms: number): Date => new Date(ISSUED.getTime() + ms);

describe('ecert code', () => {
  it('round trip: the verifier returns what the issuer put in', () => {
    const code = issue();
    expect(code.startsWith('MPEC1.')).toBe(true);
    expect(code.length).toBeLessThanOrEqual(ECERT_MAX_LENGTH);
    expect(code).toMatch(/^[\x21-\x7e]+$/);
    expect(looksLikeEcertCode(code)).toBe(true);
    expect(classifyLine(Buffer.from(code)).kind).toBe('ecert');
    const r = verifyCode(code, KEY, at(1000));
    expect(r).toEqual({
      ok: true,
      psnNo: '43000000000000000001',
      issuedAt: ISSUED,
      expiresAt: at(60_000),
      nonce: NONCE,
    });
  });

  it('round trip property: any psn_no, time, ttl and nonce', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => Buffer.byteLength(s) <= 64 && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s)),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 86_400 }),
        fc.uint8Array({ minLength: 8, maxLength: 32 }),
        (psnNo, t, ttl, nonce) => {
          const code = issueCode({ psnNo, issuedAt: new Date(t), ttlSeconds: ttl, key: KEY, nonce: Buffer.from(nonce) });
          expect(code.length).toBeLessThanOrEqual(256);
          const r = verifyCode(code, KEY, new Date(t));
          expect(r.ok && r.psnNo === psnNo && r.issuedAt.getTime() === t && r.expiresAt.getTime() === t + ttl * 1000).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the longest code (64-byte psn_no, 32-byte nonce) fits 256 characters', () => {
    const code = issue({ psnNo: 'Z'.repeat(64), nonce: Buffer.alloc(32, 9) });
    expect(code.length).toBeLessThanOrEqual(256);
    expect(verifyCode(code, KEY, ISSUED).ok).toBe(true);
  });

  it('tampered: flipping any one character after the prefix (not a dot) is refused as tampered', () => {
    const code = issue();
    for (let i = 'MPEC1.'.length; i < code.length; i++) {
      if (code[i] === '.') continue;
      const flipped = B64[(B64.indexOf(code[i]!) + 1) % B64.length]!;
      const bad = code.slice(0, i) + flipped + code.slice(i + 1);
      const r = verifyCode(bad, KEY, at(1000));
      expect(r, `position ${i}`).toMatchObject({ ok: false, err_code: 'ecert_tampered' });
    }
  });

  it('tampered: the last signature character, whose low bits are padding, still counts', () => {
    const code = issue();
    const last = code.at(-1)!;
    // Same 6 high bits except the two padding bits: the decoded bytes would be identical.
    const idx = B64.indexOf(last);
    const twin = B64[idx ^ 1]!;
    const r = verifyCode(code.slice(0, -1) + twin, KEY, at(1000));
    expect(r).toMatchObject({ ok: false, err_code: 'ecert_tampered' });
  });

  it('wrong key: tampered', () => {
    expect(verifyCode(issue(), OTHER_KEY, at(1000))).toMatchObject({ ok: false, err_code: 'ecert_tampered' });
  });

  it('a forged psn_no with the old signature: tampered', () => {
    const code = issue();
    const parts = code.split('.');
    parts[1] = Buffer.from('43000000000000000002').toString('base64url');
    expect(verifyCode(parts.join('.'), KEY, at(1000))).toMatchObject({ ok: false, err_code: 'ecert_tampered' });
  });

  it('expired at the expiry instant, valid one millisecond before', () => {
    const code = issue();
    expect(verifyCode(code, KEY, at(59_999)).ok).toBe(true);
    const r = verifyCode(code, KEY, at(60_000));
    expect(r).toMatchObject({ ok: false, err_code: 'ecert_expired' });
    expect(verifyCode(code, KEY, at(3_600_000))).toMatchObject({ ok: false, err_code: 'ecert_expired' });
  });

  it('a code issued well in the future is not valid yet', () => {
    expect(verifyCode(issue({ ttlSeconds: 3600 }), KEY, at(-120_000))).toMatchObject({ ok: false, err_code: 'ecert_expired' });
    expect(verifyCode(issue({ ttlSeconds: 3600 }), KEY, at(-30_000)).ok).toBe(true);
  });

  const good = issue();
  const malformed: Array<[string, unknown]> = [
    ['empty', ''],
    ['prefix only', 'MPEC1.'],
    ['wrong prefix', good.replace('MPEC1.', 'MPEC2.')],
    ['lower-case prefix', good.replace('MPEC1.', 'mpec1.')],
    ['missing a field', good.split('.').filter((_, i) => i !== 2).join('.')],
    ['an extra field', `${good}.AAAA`],
    ['empty field', good.replace(/\.[^.]+\./, '..')],
    ['standard base64 characters', good.slice(0, 10) + '+/' + good.slice(12)],
    ['padding', `${good}=`],
    ['leading space', ` ${good}`],
    ['trailing newline', `${good}\n`],
    ['non-ASCII', good.slice(0, 10) + 'é' + good.slice(11)],
    ['NUL byte', good.slice(0, 10) + '\u0000' + good.slice(11)],
    ['too long', 'MPEC1.' + 'A'.repeat(300)],
    ['short signature', good.slice(0, -1)],
    ['long signature', `${good}A`],
    ['short time field', good.split('.').map((p, i) => (i === 2 ? p.slice(1) : p)).join('.')],
    ['nonce too short', good.split('.').map((p, i) => (i === 4 ? 'AAAA' : p)).join('.')],
    ['just text', 'hello'],
    ['an EAN-13', '4006381333931'],
    ['a number', 12345],
    ['null', null],
    ['undefined', undefined],
    ['an object', { code: good }],
    ['a buffer', Buffer.from(good)],
  ];
  it.each(malformed)('malformed: %s', (_name, input) => {
    const r = verifyCode(input, KEY, at(1000));
    expect(r).toMatchObject({ ok: false, err_code: 'ecert_malformed' });
    if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
    expect(looksLikeEcertCode(input)).toBe(false);
  });

  it('a key holder signing nonsense contents still gets malformed, not ok', () => {
    const sign = (s: string): string => `${s}.${createHmac('sha256', KEY).update(s).digest('base64url')}`;
    const t = (ms: number): string => {
      const b = Buffer.alloc(6);
      b.writeUIntBE(ms, 0, 6);
      return b.toString('base64url');
    };
    const psn = Buffer.from('P1').toString('base64url');
    const nonce = NONCE.toString('base64url');
    const now = ISSUED.getTime();
    // Expiry before issue.
    expect(verifyCode(sign(`MPEC1.${psn}.${t(now)}.${t(now - 1)}.${nonce}`), KEY, ISSUED)).toMatchObject({ err_code: 'ecert_malformed' });
    // psn_no that is not UTF-8.
    const badPsn = Buffer.from([0xff, 0xfe]).toString('base64url');
    expect(verifyCode(sign(`MPEC1.${badPsn}.${t(now)}.${t(now + 1000)}.${nonce}`), KEY, ISSUED)).toMatchObject({ err_code: 'ecert_malformed' });
    // A psn_no with a control character.
    const ctl = Buffer.from('A\nB').toString('base64url');
    expect(verifyCode(sign(`MPEC1.${ctl}.${t(now)}.${t(now + 1000)}.${nonce}`), KEY, ISSUED)).toMatchObject({ err_code: 'ecert_malformed' });
  });

  it('issueCode refuses bad input', () => {
    expect(() => issue({ key: Buffer.alloc(8) })).toThrow();
    expect(() => issue({ nonce: Buffer.alloc(4) })).toThrow();
    expect(() => issue({ nonce: Buffer.alloc(33) })).toThrow();
    expect(() => issue({ psnNo: '' })).toThrow();
    expect(() => issue({ psnNo: 'a\nb' })).toThrow();
    expect(() => issue({ psnNo: 'x'.repeat(65) })).toThrow();
    expect(() => issue({ ttlSeconds: 0 })).toThrow();
    expect(() => issue({ issuedAt: new Date(Number.NaN) })).toThrow();
  });

  it('different nonces make different codes for the same person and time', () => {
    expect(issue({ nonce: Buffer.alloc(16, 1) })).not.toBe(issue({ nonce: Buffer.alloc(16, 2) }));
  });
});
