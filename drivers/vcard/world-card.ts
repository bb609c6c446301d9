/**
 * The chip image of a world's card (world.md): the card's own fields from cards.json, the holder's
 * from persons.json, unless the card's `chip` object overrides them (a forged or mis-issued card).
 */
import { loadWorld, type World } from '../../src/core/world.ts';
import { createVirtualCard, type CardImage, type VirtualSsCard } from './card.ts';

export class WorldCardError extends Error {
  override readonly name = 'WorldCardError';
}

export function cardImageFromWorld(world: World, cardNo: string): CardImage {
  const card = world.cards.find((c) => c.card_no === cardNo);
  if (!card) throw new WorldCardError(`the world has no card ${JSON.stringify(cardNo)} in cards.json`);
  const person = world.persons.find((p) => p.baseinfo.psn_no === card.psn_no);
  if (!person) throw new WorldCardError(`card ${cardNo}: persons.json has no person ${card.psn_no}`);
  const base = person.baseinfo;
  const chip = card.chip ?? {};
  return {
    card_no: card.card_no,
    card_sn: card.card_sn.toUpperCase(),
    spec_ver: card.spec_ver,
    issue_date: card.issue_date,
    expiry_date: card.expiry_date,
    pin: card.pin,
    certno: chip.certno ?? base.certno,
    psn_name: chip.psn_name ?? base.psn_name,
    gend: chip.gend ?? base.gend,
    naty: chip.naty ?? base.naty,
    brdy: chip.brdy ?? base.brdy,
  };
}

/** Loads the world in `dir` (WorldError lists its problems) and returns the image of card `cardNo`. */
export function loadWorldCard(dir: string, cardNo: string): CardImage {
  return cardImageFromWorld(loadWorld(dir), cardNo);
}

/** A world's cards as virtual cards, one per card number, so a PIN counter lasts while the world is in use. */
export class WorldCardDeck {
  private readonly cards = new Map<string, VirtualSsCard>();
  constructor(private readonly world: World) {}

  /** The card numbered `cardNo` (WorldCardError when the world has none). */
  card(cardNo: string): VirtualSsCard {
    let card = this.cards.get(cardNo);
    if (!card) {
      card = createVirtualCard(cardImageFromWorld(this.world, cardNo));
      this.cards.set(cardNo, card);
    }
    return card;
  }
}
