/** The inpatient chain: Admission (2401), change (2403), cancel admission (2404). */
import type { Chain } from '../shared.ts';

export const INPATIENT_ADMISSION = {} satisfies Chain;
