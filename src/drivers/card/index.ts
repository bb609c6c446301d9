/**
 * The card driver's public API. Nothing here loads PC/SC until a PC/SC reader is started.
 *
 *   const reader = await createPcscReader({ reader: 'Virtual PCD 00 00' });   // or createInProcessReader(card)
 *   reader.on('status', (s) => ...);  reader.on('card', (ev) => ...);
 *   const id = await readIdentity(reader, { pin, timeoutMs: 10_000 });         // CardIdentity or CardError
 *   await reader.close();
 */
export * from './errors.ts';
export * from './types.ts';
export { CardReader, DEFAULT_TERMINAL_ID, type ReaderCommonOptions } from './reader-base.ts';
export { InProcessReader, createInProcessReader, type InProcessReaderOptions } from './inprocess-reader.ts';
export { PcscReader, createPcscReader, loadPcsclite, type PcscReaderOptions, type PcscFactory, type NativeContext, type NativeReader } from './pcsc-reader.ts';
export { readIdentity, readCardIdentity, toIdentity, type ReadIdentityOptions } from './identity.ts';
export { readCardFacts, verifyPin, selectApplication, EXPECTED_APDUS, type CardFacts } from './application.ts';
export { exchange, describeSw, SSSE_AID, type Transmit, type Response } from './apdu.ts';
export { formatIdentity, formatJson, formatPipe, type IdentityFormat } from './format.ts';
export { TraceRecorder, TraceSchema, TRACE_FORMAT, loadTrace, parseTrace, redactCommand, type CardTrace, type TraceExchange } from './trace.ts';
