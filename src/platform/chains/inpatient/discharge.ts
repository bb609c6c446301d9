/** The inpatient chain: Discharge (2402) and cancel discharge (2405). */
import type { Chain } from '../shared.ts';

export const INPATIENT_DISCHARGE = {} satisfies Chain;
