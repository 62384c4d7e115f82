// Pulled records are held until the reader confirms their last hash (the next batch's prevHash, or the
// signed live checkpoint over the head), then stored. The case the frame CRC makes very unlikely but not
// impossible: the LAST batch arrives changed in a way that still decodes. Nothing in that batch shows
// it (the chain is a hash over the records); only the checkpoint does. Such a batch is fetched again
// once; if it still differs, nothing unconfirmed is stored, nothing is acked, and the next clean pull
// resumes where the confirmed records end. On binding-mock with the real reader service.
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortMock } from 'serialport';
import { LinkTransport } from './transport';
import { NO_FAULTS, SimReaderEnd, bigReaderSim } from './sim-reader-end';
import { ReaderClient, provision } from './reader-client';
import { openPullStore } from './pull-store';
import { signBlocklist, signConfig } from '../../../protocol/src/structures/config';
import { signDirectory, signReaderCertificate } from '../../../protocol/src/structures/keys';
import { MAX_LOG_BATCH_RECORDS, MSG_PULL_LOG } from '../../../protocol/src/messages';
import { chainGenesis, decodeLogRecord, verifyLogRun } from '../../../protocol/src/structures/log';
import { sha256Host } from '../../../protocol/src/node/ed25519';
import {
  READER_ID,
  SIM_T,
  T0,
  fundId,
  issuerCertEnv,
  makeBlocklist,
  makeConfig,
  makeDirectory,
  operator,
  operatorCertEnv,
  readerCert,
  root,
} from '../../../test/sim/fund';

interface MockPortBinding {
  emitData(data: Buffer): void;
  write(buffer: Buffer): Promise<void>;
}
const MockBinding = SerialPortMock.binding;
const open: { port: SerialPortMock; end: SimReaderEnd; link: LinkTransport }[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.end.stop();
    r.link.close();
    if (r.port.isOpen) await new Promise((res) => r.port.close(res));
  }
  MockBinding.reset();
});

/** A provisioned reader holding more than two batches of records, its client, and its public key. */
async function reader(label: string) {
  const path = '/dev/carnet-confirm-' + label;
  MockBinding.createPort(path, { echo: false, record: false });
  const port = new SerialPortMock({ path, baudRate: 115200 });
  await new Promise<void>((res, rej) => port.once('open', res).once('error', rej));
  const binding = port.port as unknown as MockPortBinding;
  const sim = bigReaderSim(label, SIM_T);
  const end = new SimReaderEnd(
    sim,
    (b) => {
      if (port.isOpen) binding.emitData(Buffer.from(b));
    },
    NO_FAULTS,
  );
  const orig = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await orig(buf);
    setImmediate(() => end.fromHost(new Uint8Array(buf)));
  };
  const link = new LinkTransport(port);
  open.push({ port, end, link });
  const client = new ReaderClient(link);
  const out = await provision(
    client,
    {
      fundId,
      readerId: READER_ID,
      root,
      operator,
      operatorCert: operatorCertEnv,
      keyCerts: [issuerCertEnv, operatorCertEnv],
      certificateFor: (pub) => signReaderCertificate(readerCert(pub, T0 + 180 * 86400), root),
      directoryFor: (pub) => ({ version: 3, envelope: signDirectory(makeDirectory(pub, 3), root) }),
      configFor: (v) => signConfig(makeConfig(v, {}), operator),
      forceConfig: false,
      blocklist: { version: 4, envelope: signBlocklist(makeBlocklist(4, []), operator) },
    },
    () => {},
  );
  for (let i = 0; i < 2 * MAX_LOG_BATCH_RECORDS + 20; i++) sim.reader.core.logChange(9, i, null);
  return { sim, link, client, pub: out.publicKey };
}

/** The record changed in one byte so that it still decodes, with the same seq. */
function alteredButDecodable(rec: Uint8Array): Uint8Array {
  const seq = (decodeLogRecord(rec) as { ok: true; value: { seq: number } }).value.seq;
  for (let i = rec.length - 1; i >= 0; i--) {
    const c = new Uint8Array(rec);
    c[i] ^= 0x01;
    const d = decodeLogRecord(c);
    if (d.ok && d.value.seq === seq) return c;
  }
  throw new Error('no decodable alteration');
}

describe('pulled records are stored only once the reader confirms them', () => {
  it('the last batch altered but decodable, every time: nothing unconfirmed stored, no ack; a clean pull then completes', async () => {
    const { sim, link, client, pub } = await reader('a');
    const info = await client.hello();
    const orig = link.request.bind(link);
    let altered = 0;
    let lastFrom = 0;
    link.request = async (type, fields) => {
      const m = await orig(type, fields);
      // The batch that reaches the reader's head: only the checkpoint can vouch for its last record.
      if (type === MSG_PULL_LOG && m.type === 0x84 && m.records.length > 0) {
        if (m.fromSeq + m.records.length - 1 === m.headSeq) {
          lastFrom = m.fromSeq;
          const last = m.records.length - 1;
          m.records[last] = alteredButDecodable(m.records[last]);
          altered++;
        }
      }
      return m;
    };
    const store = openPullStore(':memory:');
    const known = { readerId: READER_ID, publicKey: pub, revoked: false };
    const res = await client.pull(info, fundId, known, store, operator, operatorCertEnv);
    expect(altered).toBe(2); // fetched, then fetched again once
    expect(lastFrom).toBeGreaterThan(MAX_LOG_BATCH_RECORDS);
    expect(res.gap?.code).toBe('LOG_CHAIN_BROKEN');
    expect(res.acked).toBe(false);
    expect(res.storedSeq).toBe(lastFrom - 1);
    expect(store.count(fundId, READER_ID)).toBe(lastFrom - 1);
    expect(store.head(fundId, READER_ID)!.seq).toBe(lastFrom - 1);
    expect(sim.reader.core.run.ackedSeq).toBe(0);
    // What is stored is exactly the reader's chain up to there.
    expect(
      Buffer.from(store.head(fundId, READER_ID)!.head).equals(
        Buffer.from(sim.reader.core.log.hashAt(lastFrom - 1)!),
      ),
    ).toBe(true);

    link.request = orig;
    const res2 = await client.pull(await client.hello(), fundId, known, store, operator, operatorCertEnv);
    expect(res2.gap).toBeNull();
    expect(res2.fromSeq).toBe(lastFrom);
    expect(res2.acked).toBe(true);
    const recs = store.records(fundId, READER_ID);
    expect(recs.length).toBe(res2.storedSeq);
    const run = verifyLogRun(
      chainGenesis(fundId, READER_ID, sha256Host),
      1,
      recs.map((r) => r.bytes),
      sha256Host,
    );
    expect(run.ok).toBe(true);
    expect(Buffer.from(run.value.head).equals(Buffer.from(sim.reader.core.log.hashAt(res2.storedSeq)!))).toBe(
      true,
    );
    store.close();
  }, 30000);

  it('a batch altered once (not the last): the next batch’s prevHash shows it, it is fetched again, the pull completes', async () => {
    const { sim, link, client, pub } = await reader('b');
    const orig = link.request.bind(link);
    let altered = 0;
    link.request = async (type, fields) => {
      const m = await orig(type, fields);
      if (type === MSG_PULL_LOG && m.type === 0x84 && m.fromSeq === 1 && altered === 0) {
        m.records[m.records.length - 1] = alteredButDecodable(m.records[m.records.length - 1]);
        altered++;
      }
      return m;
    };
    const store = openPullStore(':memory:');
    const res = await client.pull(
      await client.hello(),
      fundId,
      { readerId: READER_ID, publicKey: pub, revoked: false },
      store,
      operator,
      operatorCertEnv,
    );
    expect(altered).toBe(1);
    expect(res.gap).toBeNull();
    expect(res.acked).toBe(true);
    const recs = store.records(fundId, READER_ID);
    const run = verifyLogRun(
      chainGenesis(fundId, READER_ID, sha256Host),
      1,
      recs.map((r) => r.bytes),
      sha256Host,
    );
    expect(run.ok).toBe(true);
    expect(Buffer.from(run.value.head).equals(Buffer.from(sim.reader.core.log.hashAt(res.storedSeq)!))).toBe(
      true,
    );
    store.close();
  }, 30000);
});
