// Unit tests of the host link on @serialport/binding-mock: a SerialPort whose writes go to the firmware
// simulator's serial service (the fake reader end), with seeded faults in both directions.
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortMock } from 'serialport';
import { LinkError, LinkTransport } from './transport';
import { FaultPlan, NO_FAULTS, SimReaderEnd, bigReaderSim } from './sim-reader-end';
import { ReaderClient, provision } from './reader-client';
import { PullStore, openPullStore } from './pull-store';
import { signConfig, signBlocklist } from '../../../protocol/src/structures/config';
import { signDirectory, signReaderCertificate } from '../../../protocol/src/structures/keys';
import { MSG_PULL_LOG as PULL } from '../../../protocol/src/messages';
import {
  READER_ID,
  T0,
  issuerCertEnv,
  makeBlocklist,
  makeConfig,
  makeDirectory,
  operator,
  operatorCertEnv,
  readerCert,
  root,
} from '../../../test/sim/fund';
import { MSG_HELLO, MSG_SELF_TEST } from '../../../protocol/src/messages';
import { SIM_T, fundId } from '../../../test/sim/fund';

const SEED = 20261123;
console.log('transport fault seed', SEED);

/** The part of @serialport/binding-mock's port we use (its ESM entry ships no type declarations). */
interface MockPortBinding {
  emitData(data: Buffer): void;
  write(buffer: Buffer): Promise<void>;
}
const MockBinding = SerialPortMock.binding;

interface Rig {
  port: SerialPortMock;
  end: SimReaderEnd;
  link: LinkTransport;
}
const rigs: Rig[] = [];

async function rig(plan: FaultPlan, label: string): Promise<Rig> {
  const path = '/dev/carnet-' + label;
  MockBinding.createPort(path, { echo: false, record: false });
  const port = new SerialPortMock({ path, baudRate: 115200 });
  await new Promise<void>((res, rej) => port.once('open', res).once('error', rej));
  const binding = port.port as unknown as MockPortBinding;
  const sim = bigReaderSim(label, SIM_T);
  // A reader answering after the test closed the port (a write's setImmediate still in flight) is a
  // response lost on a pulled cable, not an error of the test.
  const end = new SimReaderEnd(
    sim,
    (b) => {
      if (port.isOpen) binding.emitData(Buffer.from(b));
    },
    plan,
  );
  const orig = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await orig(buf);
    setImmediate(() => end.fromHost(new Uint8Array(buf)));
  };
  const link = new LinkTransport(port);
  const r = { port, end, link };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    r.end.stop();
    r.link.close();
    if (r.port.isOpen) await new Promise((res) => r.port.close(res));
  }
  MockBinding.reset();
});

describe('LinkTransport on binding-mock', () => {
  it('HELLO → INFO of a blank reader, request ids and seqs advance', async () => {
    const r = await rig(NO_FAULTS, 'a');
    const m = await r.link.request(MSG_HELLO, [SIM_T]);
    expect(m.type).toBe(0x81);
    if (m.type === 0x81) expect(m.state).toBe(0);
    const s = await r.link.request(MSG_SELF_TEST, []);
    expect(s.type).toBe(0x86);
    expect(r.link.stats.retransmits).toBe(0);
  });

  it('survives dropped, duplicated and corrupted bytes (seeded) for 60 requests', async () => {
    const r = await rig({ seed: SEED, drop: 0.003, duplicate: 0.003, corrupt: 0.003 }, 'b');
    for (let i = 0; i < 60; i++) {
      const m = await r.link.request(i % 2 === 0 ? MSG_HELLO : MSG_SELF_TEST, i % 2 === 0 ? [SIM_T] : []);
      expect(m.type).toBe(i % 2 === 0 ? 0x81 : 0x86);
    }
    const f = r.end.up.counts.dropped + r.end.down.counts.dropped + r.end.up.counts.corrupted;
    expect(f).toBeGreaterThan(0);
    expect(r.link.stats.retransmits + r.link.stats.badFramesIn + r.link.stats.duplicatesIn).toBeGreaterThan(
      0,
    );
  }, 60000);

  it('resynchronises on garbage between frames without losing the session', async () => {
    const r = await rig(NO_FAULTS, 'c');
    await r.link.request(MSG_HELLO, [SIM_T]);
    const binding = r.port.port as unknown as MockPortBinding;
    binding.emitData(Buffer.from([0xdb, 0x01, 0xff, 0xc0, 0x42, 0x42, 0xc0, 0x00]));
    const m = await r.link.request(MSG_SELF_TEST, []);
    expect(m.type).toBe(0x86);
    expect(r.link.stats.badFramesIn).toBeGreaterThan(0);
  });

  it('reports LINK_DOWN after 1 + LINK_MAX_RETRIES attempts when unplugged, then works again', async () => {
    const r = await rig(NO_FAULTS, 'd');
    await r.link.request(MSG_HELLO, [SIM_T]);
    r.end.unplugged = true;
    await expect(r.link.request(MSG_SELF_TEST, [])).rejects.toBeInstanceOf(LinkError);
    expect(r.link.stats.retransmits).toBe(5);
    r.end.unplugged = false;
    const m = await r.link.request(MSG_HELLO, [SIM_T]);
    expect(m.type).toBe(0x81);
  }, 20000);

  it('a lost response is fetched again by resending the same request (cached, not executed twice)', async () => {
    const r = await rig(NO_FAULTS, 'e');
    const client = new ReaderClient(r.link);
    await client.hello();
    // Cut the reader → host direction only after the reader ACKs: the host must re-ask.
    const sim = r.end.sim;
    const write = sim.devices.host.write;
    let cut = 0;
    sim.devices.host.write = (b: Uint8Array) => {
      // frames of kind DATA (byte 2 after the leading END is the kind) are dropped 7 times
      if (b[2] === 0 && cut < 7) {
        cut++;
        return;
      }
      write(b);
    };
    const before = sim.reader.service.txSeq;
    const n = await client.challenge();
    expect(n.length).toBe(16);
    // one response produced (seq advanced once), sent again from the cache
    expect((sim.reader.service.txSeq - before + 65536) % 65536).toBe(1);
    expect(cut).toBe(7);
  }, 20000);

  it('stages an object bigger than one command in chunks; the reader holds the same SHA-256', async () => {
    const r = await rig(NO_FAULTS, 'f');
    const client = new ReaderClient(r.link);
    await client.hello();
    const obj = new Uint8Array(3000).map((_x, i) => (i * 7) & 0xff);
    let calls = 0;
    const digest = await client.stage(obj, () => calls++);
    expect(calls).toBe(4); // 960 × 3 + 120
    expect(Buffer.from(r.end.sim.reader.service.stageDigest!).equals(Buffer.from(digest))).toBe(true);
    expect(await client.objectArgs(new Uint8Array(10))).toEqual([new Uint8Array(10), null]);
  });

  async function provisioned(label: string): Promise<{ r: Rig; client: ReaderClient; pub: Uint8Array }> {
    const r = await rig(NO_FAULTS, label);
    const client = new ReaderClient(r.link);
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
    expect(out.info.state).toBe(2);
    for (let i = 0; i < 40; i++) r.end.sim.reader.core.logChange(9, i, null); // 40 more records
    return { r, client, pub: out.publicKey };
  }

  it('a record that breaks the chain mid-batch: the verified prefix is kept, nothing is acked', async () => {
    const { r, client, pub } = await provisioned('g');
    const link = r.link;
    const orig = link.request.bind(link);
    link.request = async (type, fields) => {
      const m = await orig(type, fields);
      if (type === PULL && m.type === 0x84 && m.records.length > 10) {
        const bad = new Uint8Array(m.records[10]);
        bad[bad.length - 1] ^= 1;
        m.records[10] = bad;
      }
      return m;
    };
    const store = openPullStore(':memory:');
    const info = await client.hello();
    const res = await client.pull(
      info,
      fundId,
      { readerId: READER_ID, publicKey: pub, revoked: false },
      store,
      operator,
      operatorCertEnv,
    );
    expect(res.gap).not.toBeNull();
    expect(res.acked).toBe(false);
    expect(store.count(fundId, READER_ID)).toBe(10);
    expect(res.storedSeq).toBe(10);
    expect(r.end.sim.reader.core.run.ackedSeq).toBe(0);
    // The next pull (no tampering) resumes at 11 and acks.
    link.request = orig;
    const res2 = await client.pull(
      await client.hello(),
      fundId,
      { readerId: READER_ID, publicKey: pub, revoked: false },
      store,
      operator,
      operatorCertEnv,
    );
    expect(res2.fromSeq).toBe(11);
    expect(res2.acked).toBe(true);
    expect(r.end.sim.reader.core.run.ackedSeq).toBe(res2.storedSeq);
    store.close();
  }, 20000);

  it('no ACK_LOG when the store fails to commit', async () => {
    const { r, client, pub } = await provisioned('h');
    const real = openPullStore(':memory:');
    const failing: PullStore = {
      ...real,
      appendBatch: () => {
        throw new Error('disque plein');
      },
    };
    await expect(
      client.pull(
        await client.hello(),
        fundId,
        { readerId: READER_ID, publicKey: pub, revoked: false },
        failing,
        operator,
        operatorCertEnv,
      ),
    ).rejects.toThrow('disque plein');
    expect(r.end.sim.reader.core.run.ackedSeq).toBe(0);
    real.close();
  }, 20000);

  it('a checkpoint from another key is refused (reader key not the known one)', async () => {
    const { client } = await provisioned('i');
    const store = openPullStore(':memory:');
    await expect(
      client.pull(
        await client.hello(),
        fundId,
        { readerId: READER_ID, publicKey: root.publicKey, revoked: false },
        store,
        operator,
        operatorCertEnv,
      ),
    ).rejects.toThrow(/point de contrôle refusé/);
    store.close();
  }, 20000);

  it('pull store rejects a non-contiguous append and keeps one copy per seq', () => {
    const s = openPullStore(':memory:');
    s.appendBatch(fundId, 1, 1, [new Uint8Array([1]), new Uint8Array([2])], new Uint8Array(32));
    expect(() => s.appendBatch(fundId, 1, 2, [new Uint8Array([2])], new Uint8Array(32))).toThrow();
    expect(s.count(fundId, 1)).toBe(2);
    s.close();
  });
});
