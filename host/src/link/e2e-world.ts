// Shared by the end-to-end test and `npm run bench:pull`: a fund folder with fresh keys, a member card
// issued by its issuer key, a big simulated reader on a socat pty pair, and sales made on the reader.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PtyRig } from './pty-rig';
import { FaultPlan, bigReaderSim } from './sim-reader-end';
import { FundFile, createFund, loadKeys } from './fund-folder';
import { nowSeconds } from './reader-client';
import { fromHex } from '../../../protocol/src/bytes';
import { sha256Host } from '../../../protocol/src/node/ed25519';
import { NTAG215_LAYOUT } from '../../../protocol/src/card';
import { ReaderSim } from '../../../test/sim/reader-sim';
import { CardMemory, issueCard } from '../../../test/sim/card-memory';
import { voucherFlat } from '../../../protocol/scripts/vector-fixtures';
import { Voucher, signVoucher } from '../../../protocol/src/structures/voucher';
import { keyId } from '../../../protocol/src/structures/keys';

export interface World {
  dir: string;
  fund: FundFile;
  sim: ReaderSim;
  rig: PtyRig;
  card: CardMemory;
}

export async function world(
  label: string,
  pass: string,
  plan: FaultPlan,
  clockOffset: number,
): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'carnet-caisse-'));
  const fund = createFund(dir, pass, nowSeconds());
  const k = loadKeys(dir, pass);
  const v: Voucher = {
    ...voucherFlat,
    fundId: fromHex(fund.fundId),
    issuerKeyId: keyId(k.issuer.publicKey, sha256Host),
    issuedAt: nowSeconds() - 3600,
  };
  const card = issueCard(v.cardUid, NTAG215_LAYOUT, signVoucher(v, k.issuer));
  const sim = bigReaderSim(label, nowSeconds() + clockOffset);
  const rig = new PtyRig(sim, plan);
  await rig.start();
  return { dir, fund, sim, rig, card };
}

export async function dispose(w: World): Promise<void> {
  await w.rig.stop();
  rmSync(w.dir, { recursive: true, force: true });
}

/** n sales of 0,01 € in category 1, tapped with the member card; returns how many committed. */
export function sales(w: World, n: number): number {
  const log = w.sim.reader.core.log;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const before = log.nextSeq;
    w.sim.keys('*'); // dismisses the previous result screen (on the amount screen: deletes nothing)
    w.sim.keys('1#1');
    w.sim.tap(w.card);
    w.sim.removeCard();
    w.rig.end?.advance(3000);
    if (log.nextSeq === before + 2) ok++;
  }
  return ok;
}
