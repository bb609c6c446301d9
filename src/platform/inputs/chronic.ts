/** The wire inputs of the chronic-disease filings (2503, 2504, 5301). */

export const CHRONIC_INPUTS = {} as const;
