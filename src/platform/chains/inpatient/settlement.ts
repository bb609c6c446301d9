/** The inpatient chain: Trial settlement (2303), settlement final or mid-stay (2304), settlement cancel (2305). */
import type { Chain } from '../shared.ts';

export const INPATIENT_SETTLEMENT = {} satisfies Chain;
