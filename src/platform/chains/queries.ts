/** Eligibility (2001) and the read-only queries (5201, 5203, 5204, 5206). */
import type { Chain } from './shared.ts';

export const QUERIES = {} satisfies Chain;
