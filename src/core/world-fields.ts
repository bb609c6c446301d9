/**
 * Field schemas that world.ts and world-inpatient.ts share (format medpos-world/1).
 */
import { z } from 'zod';
import { ratio } from './money.ts';

export function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date yyyy-MM-dd').refine(isRealDate, 'is not a real date');
export const nonEmpty = z.string().min(1, 'must not be empty').max(200, 'is too long');
export const hospLv = z.enum(['1', '2', '3']);
export const psnTypeKey = z.string().regex(/^(\d{2}|default)$/, 'must be a 2-digit psn_type or "default"');

/** Ratios by psn_type (or "default"), then by hosp_lv: the shape of every pooled-fund ratio. */
export const ratioTable = z.record(psnTypeKey, z.partialRecord(hospLv, ratio));
