/**
 * Output formats of an identity. `pipe` is the vendor ReadCardBas order (card.md): issuing area code |
 * social-security number | card number | card identification code | name | ATR | spec version |
 * issue date | expiry date | terminal id | device id, then sex | nation | birth date. Dates are
 * yyyyMMdd there, as the vendor library writes them; `json` keeps yyyy-MM-dd.
 */
import { IDENTITY_FIELDS, type CardIdentity } from './types.ts';

const DATE_FIELDS = new Set<string>(['issue_date', 'expiry_date', 'brdy']);

export function formatPipe(id: CardIdentity): string {
  return IDENTITY_FIELDS.map((k) => {
    const v = id[k];
    const text = DATE_FIELDS.has(k) ? v.replace(/-/g, '') : v;
    return text.replace(/\|/g, ' ');
  }).join('|');
}

export function formatJson(id: CardIdentity): string {
  return JSON.stringify(id, null, 2);
}

export type IdentityFormat = 'json' | 'pipe';

export function formatIdentity(id: CardIdentity, format: IdentityFormat): string {
  return format === 'pipe' ? formatPipe(id) : formatJson(id);
}
