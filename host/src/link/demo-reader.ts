// A simulated reader on a socat pty, for trying the CLI by hand and for the transcript of
// host/README-lecteur.md:   CARNET_CAISSE=caisse CARNET_PASSPHRASE=… npx tsx host/src/link/demo-reader.ts [ventes]
// Prints the port to give to `carnet lecteur … --port`; once the reader is provisioned, a member card is
// issued with the fund's issuer key and the given number of 0,01 € sales (default 120) are made on the
// reader. Stops on Ctrl-C or SIGTERM (kills its socat by PID).

import { PtyRig } from './pty-rig';
import { NO_FAULTS, bigReaderSim } from './sim-reader-end';
import { nowSeconds } from './reader-client';
import { fundDir, loadFund, loadKeys } from './fund-folder';
import { fromHex } from '../../../protocol/src/bytes';
import { sha256Host } from '../../../protocol/src/node/ed25519';
import { NTAG215_LAYOUT } from '../../../protocol/src/card';
import { issueCard } from '../../../test/sim/card-memory';
import { voucherFlat } from '../../../protocol/scripts/vector-fixtures';
import { signVoucher } from '../../../protocol/src/structures/voucher';
import { keyId } from '../../../protocol/src/structures/keys';

const SALES = Number(process.argv[2] ?? '120');
const sim = bigReaderSim('demo', nowSeconds() - 2 * 3600); // a reader whose clock is 2 h late
const rig = new PtyRig(sim, NO_FAULTS);
await rig.start();
console.log('lecteur simulé sur ' + rig.hostPath);

let sold = false;
const timer = setInterval(() => {
  if (sold || sim.reader.core.config === null || sim.reader.core.blocklist === null) return;
  sold = true;
  const dir = fundDir(undefined);
  const fund = loadFund(dir);
  if (fund === null) return;
  const k = loadKeys(dir, process.env.CARNET_PASSPHRASE ?? '');
  const v = {
    ...voucherFlat,
    fundId: fromHex(fund.fundId),
    issuerKeyId: keyId(k.issuer.publicKey, sha256Host),
    issuedAt: nowSeconds() - 3600,
  };
  const card = issueCard(v.cardUid, NTAG215_LAYOUT, signVoucher(v, k.issuer));
  let ok = 0;
  for (let i = 0; i < SALES; i++) {
    const before = sim.reader.core.log.nextSeq;
    sim.keys('*');
    sim.keys('1#1');
    sim.tap(card);
    sim.removeCard();
    rig.end?.advance(3000);
    if (sim.reader.core.log.nextSeq === before + 2) ok++;
  }
  console.log(ok + ' ventes faites au marché');
}, 200);

async function stop(): Promise<void> {
  clearInterval(timer);
  await rig.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
