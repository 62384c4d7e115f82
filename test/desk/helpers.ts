// Shared fixtures for the desk tests: a fund profile, keys, an in-process transport to a virtual tag.

import { DeskError } from '../../host/src/desk/card-io';
import { ApduCardIo, ApduLink } from '../../host/src/adapters/pcsc/apdu';
import { DeskContext } from '../../host/src/desk/desk';
import { FundProfile } from '../../host/src/desk/fund';
import { MemoryJournal } from '../../host/src/desk/journal';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { fundId, issuer, labelBytes, otherFundId, root, T0 } from '../../protocol/scripts/vector-fixtures';
import { VirtualTag } from '../sim/vpcd-card';

export { T0 };

/** 2026-11-10 12:00 UTC: inside November 2026 (month 682). */
export const NOW = T0 + 9 * 86400 + 12 * 3600;

export function profile(kind: 'forfait' | 'foyer' | 'parts' = 'forfait'): FundProfile {
  return {
    fundId,
    utcOffsetMin: 60,
    rule:
      kind === 'forfait'
        ? { kind: 'forfait', amount: 6500 }
        : kind === 'foyer'
          ? { kind: 'foyer', base: 5000, perExtraPerson: 2000 }
          : { kind: 'parts', unit: 1000 },
    validityMonths: 12,
    carryCap: 3000,
    issuerPublicKeys: [issuer.publicKey],
    rootPublicKey: root.publicKey,
  };
}

export function otherProfile(): FundProfile {
  return { ...profile(), fundId: otherFundId };
}

export const cardSecret = labelBytes('card-secret', 32);

export function context(p: FundProfile = profile()): DeskContext {
  return {
    profile: p,
    journal: new MemoryJournal(),
    crypto: hostCrypto,
    issuer,
    cardSecret,
    registry: null,
    directory: null,
  };
}

/** The virtual tag as a PC/SC link, without pcscd: the same APDUs nfc-pcsc sends. */
export function directLink(tag: VirtualTag): ApduLink {
  return {
    async transmit(apdu) {
      const r = tag.handle(apdu);
      if (r === null) throw new Error('no answer: card left the field');
      return r;
    },
  };
}

/** A fresh session on the tag (put on the reader): UID read with FF CA like nfc-pcsc does. */
export async function tap(tag: VirtualTag): Promise<ApduCardIo> {
  tag.reinsert();
  return ApduCardIo.open(directLink(tag), tag.atr());
}

export async function deskError(p: Promise<unknown>): Promise<DeskError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeskError) return e;
    throw e;
  }
  throw new Error('expected a DeskError');
}

/** A session on the tag whose `k`-th page write from now is torn (the tag then leaves the field). */
export async function tapTorn(
  tag: VirtualTag,
  k: number,
  mode: 'old' | 'new' | 'garbage',
): Promise<ApduCardIo> {
  const io = await tap(tag);
  tag.tearAtWrite = tag.writes + k;
  tag.tearMode = mode;
  return io;
}
