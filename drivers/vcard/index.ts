/**
 * The virtual social-security card: the card model (also usable in process through
 * createInProcessReader), its chip image from a world, a recorded trace served as a card, and the
 * vpcd link that puts either into a PC/SC reader.
 */
export { VirtualSsCard, createVirtualCard, atrFor, parseCommand, PIN_TRIES, type CardImage, type CardQuirks } from './card.ts';
export { cardImageFromWorld, loadWorldCard, WorldCardDeck, WorldCardError } from './world-card.ts';
export { TraceCard, createTraceCard } from './trace-card.ts';
export { VpcdLink, parseVpcdAddress, VPCD_DEFAULT_PORT, type VpcdAddress, type VpcdLinkOptions, type VpcdLinkEvents } from './vpcd.ts';
