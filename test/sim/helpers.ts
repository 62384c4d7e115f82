// Shared helpers of the simulator tests.
import { decodeLogRecord, LogRecord } from '../../protocol/src/structures/log';
import { decodeStateBody, SpendState, openStateInRegion } from '../../protocol/src/structures/state';
import { signatureValid } from '../../protocol/src/structures/envelope';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { NTAG215_LAYOUT, regionOf, FIRST_USER_PAGE } from '../../protocol/src/card';
import { ReaderSim } from './reader-sim';
import { VirtualFlash } from './virtual-flash';
import { SIM_T } from './fund';
import { CardMemory } from './card-memory';

export function logRecords(sim: ReaderSim): LogRecord[] {
  const out: LogRecord[] = [];
  const log = sim.reader.core.log;
  log.scan(log.firstSeq(), (s, r) => {
    const d = decodeLogRecord(r);
    if (!d.ok) throw new Error('bad record ' + s + ' ' + d.message);
    out.push(d.value);
    return true;
  });
  return out;
}

export function kinds(sim: ReaderSim, kind: number): LogRecord[] {
  return logRecords(sim).filter((r) => r.kind === kind);
}

/** A new simulated reader booted on a copy of `flash` (the flash of a provisioned reader). */
export function rebootOn(flash: VirtualFlash, label: string, now = SIM_T + 60): ReaderSim {
  const sim = new ReaderSim(flash, now, label, 0, 0);
  sim.reader.boot();
  return sim;
}

/** The valid state (signed by `pub`) with the highest card_seq in either slot. */
export function cardState(card: CardMemory, pub: Uint8Array): SpendState | null {
  const mem = card.pages.subarray(
    FIRST_USER_PAGE * 4,
    (NTAG215_LAYOUT.slotB.firstPage + NTAG215_LAYOUT.slotB.pages) * 4,
  );
  let best: SpendState | null = null;
  for (const slot of [NTAG215_LAYOUT.slotA, NTAG215_LAYOUT.slotB]) {
    const o = openStateInRegion(regionOf(mem, slot));
    if (
      o.ok &&
      signatureValid(o.value.opened, pub, hostCrypto.verify) &&
      (best === null || o.value.value.cardSeq > best.cardSeq)
    )
      best = o.value.value;
  }
  return best;
}

export function stateOfBody(b: Uint8Array): SpendState {
  const d = decodeStateBody(b);
  if (!d.ok) throw new Error(d.message);
  return d.value;
}
