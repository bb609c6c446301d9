/**
 * The card reader as replay drives it: a world's virtual card put into the real PC/SC stack through
 * vpcd when the harness provides one (MEDPOS_HW_VPCD), into an in-process reader otherwise; read
 * by the same driver code either way. Cards keep their PIN counters for the whole scenario.
 */
import { parseVpcdAddress, VpcdLink, WorldCardDeck } from '../../drivers/vcard/index.ts';
import { createInProcessReader, createPcscReader, readCardIdentity, type CardIdentity, type CardReader } from '../drivers/card/index.ts';
import type { World } from '../core/world.ts';

export interface CardLane {
  readonly wire: 'pcsc' | 'inprocess';
  insert(cardNo: string): Promise<void>;
  /** Reads the inserted card (verifying `pin` first when given). */
  read(pin?: string): Promise<CardIdentity>;
  remove(): Promise<void>;
  close(): Promise<void>;
}

const READ_TIMEOUT_MS = 5000;

class Lane implements CardLane {
  private readonly deck: WorldCardDeck;
  private link: VpcdLink | undefined;
  private lastSeq = 0;

  constructor(
    readonly wire: 'pcsc' | 'inprocess',
    world: World,
    private readonly reader: CardReader,
    private readonly vpcd: string | undefined,
  ) {
    this.deck = new WorldCardDeck(world);
  }

  async insert(cardNo: string): Promise<void> {
    await this.remove();
    const card = this.deck.card(cardNo);
    if (this.vpcd) {
      this.link = new VpcdLink(card, parseVpcdAddress(this.vpcd));
      await this.link.insert();
    } else {
      (this.reader as ReturnType<typeof createInProcessReader>).insert(card);
    }
    await this.reader.waitForCard(READ_TIMEOUT_MS);
  }

  async read(pin?: string): Promise<CardIdentity> {
    const { identity, cardSeq } = await readCardIdentity(this.reader, { pin, timeoutMs: READ_TIMEOUT_MS, minCardSeq: this.lastSeq });
    this.lastSeq = cardSeq;
    return identity;
  }

  async remove(): Promise<void> {
    if (!this.reader.cardPresent && !this.link) return;
    if (this.link) {
      await this.link.remove();
      this.link = undefined;
    } else {
      (this.reader as ReturnType<typeof createInProcessReader>).remove();
    }
    await this.reader.waitForRemoval(READ_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    await this.remove().catch(() => {});
    await this.reader.close();
  }
}

export async function openCardLane(world: World, vpcd = process.env.MEDPOS_HW_VPCD): Promise<CardLane> {
  if (vpcd) return new Lane('pcsc', world, await createPcscReader(), vpcd);
  return new Lane('inprocess', world, createInProcessReader(null), undefined);
}
