/** The wire inputs of the inpatient chain (2401-2405, 2301-2305). */

export const INPATIENT_INPUTS = {} as const;
