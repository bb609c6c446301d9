/** The inpatient chain: Fee upload with refund lines (2301) and withdrawal (2302). */
import type { Chain } from '../shared.ts';

export const INPATIENT_FEES = {} satisfies Chain;
