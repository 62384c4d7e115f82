// `--pty`: the evening pull goes through the host's real serial stack instead of the in-process driver —
// host/src/link/reader-client.ts (ReaderClient.pull: batches, live checkpoint, ACK after the ledger stored
// the run) over host/src/link/transport.ts (SLIP, CRC, retransmissions) on a socat pty pair
// (host/src/link/pty-rig.ts), with seeded byte faults on the wire (sim-reader-end.ts FaultyWire).
// Real time runs on the wire: a --pty run makes the same choices as without, but its trace is not
// bit-for-bit reproducible (the readers' clocks see the seconds a pull took).

import { SerialPort } from 'serialport';
import { PtyRig } from '../../../host/src/link/pty-rig';
import { LinkError, LinkTransport } from '../../../host/src/link/transport';
import { ClientError, ReaderClient } from '../../../host/src/link/reader-client';
import { PullStore, StoredHead } from '../../../host/src/link/pull-store';
import { encodeLogExport } from '../../../host/src/ledger/export';
import { bytesEqual } from '../../../protocol/src/bytes';
import { chainNext } from '../../../protocol/src/structures/log';
import { sha256Host } from '../../../protocol/src/node/ed25519';
import { fundId, operator, operatorCertEnv } from '../fund';
import { SimReader, World } from './world';
import { Prng } from './prng';

/** Byte fault rates on the wire, each direction (drop, duplicate, corrupt): the transport must cope. */
export const PTY_BYTE_FAULT = 0.0005;
/** serialport's speed on the pty (ignored by a pty; the CLI uses the same). */
const BAUD = 115200;

/** A pull store over the model: starts where the ledger is, keeps the batches of this session only. */
function sessionStore(r: SimReader): PullStore {
  let head: StoredHead | null =
    r.model.imported === 0 ? null : { seq: r.model.imported, head: r.model.importedHead };
  let acked: { seq: number; time: number } | null = null;
  return {
    head: () => head,
    appendBatch: (_f, _r, fromSeq, records, h) => {
      const expect = head === null ? 1 : head.seq + 1;
      if (fromSeq !== expect) throw new Error('lot hors séquence');
      head = { seq: fromSeq + records.length - 1, head: h };
    },
    saveCheckpoint: () => {},
    markAcked: (_f, _r, seq, time) => {
      acked = { seq, time };
    },
    lastAck: () => acked,
    records: () => [],
    count: () => 0,
    close: () => {},
  };
}

/** One evening pull over a pty: 'ok', or 'coupe' when the link failed (nothing acknowledged then). */
export async function pullOverPty(w: World, r: SimReader, prng: Prng): Promise<'ok' | 'coupe'> {
  const seed = prng.u32();
  const rig = new PtyRig(r.sim, {
    seed: seed,
    drop: PTY_BYTE_FAULT,
    duplicate: PTY_BYTE_FAULT,
    corrupt: PTY_BYTE_FAULT,
  });
  const hostWrite = r.sim.devices.host.write;
  await rig.start();
  const port = new SerialPort({ path: rig.hostPath, baudRate: BAUD, autoOpen: false });
  try {
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    const client = new ReaderClient(new LinkTransport(port));
    const info = await client.hello();
    const m = r.model;
    await client.pull(
      info,
      fundId,
      { readerId: r.id, publicKey: r.publicKey, revoked: false },
      sessionStore(r),
      operator,
      operatorCertEnv,
      undefined,
      async (run) => {
        if (run.fromSeq !== m.imported + 1 || !bytesEqual(run.prevHead, m.importedHead))
          throw new Error('le tirage ne part pas de ce que le registre a');
        const res = await w.ledger.importLog(
          encodeLogExport({
            fundId,
            readerId: r.id,
            readerCertificate: r.certEnv,
            fromSeq: run.fromSeq,
            prevHead: run.prevHead,
            records: run.records,
            checkpoints: [run.checkpoint],
          }),
          'tirage',
          w.now,
        );
        if (!res.ok) throw new Error('import refusé : ' + res.message);
        m.imported = run.fromSeq + run.records.length - 1;
        m.importedHead = run.records.length === 0 ? run.prevHead : lastHead(run.prevHead, run.records);
        // The ACK follows (ReaderClient sends it once this returns).
        m.ackSent = Math.max(m.ackSent, m.imported);
      },
    );
    return 'ok';
  } catch (e) {
    if (e instanceof LinkError || e instanceof ClientError) return 'coupe';
    throw e;
  } finally {
    if (port.isOpen) await new Promise<void>((res) => port.close(() => res()));
    await rig.stop();
    r.sim.devices.host.write = hostWrite;
  }
}

function lastHead(prev: Uint8Array, records: Uint8Array[]): Uint8Array {
  let h = prev;
  for (const x of records) h = chainNext(h, x, sha256Host);
  return h;
}
