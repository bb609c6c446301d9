/** Chronic and special outpatient diseases: filing (2503), cancel filing (2504), filings (5301). */
import type { Chain } from './shared.ts';

export const CHRONIC = {} satisfies Chain;
