/** The wire inputs of eligibility and the queries (2001, 52xx). */

export const QUERIES_INPUTS = {} as const;
