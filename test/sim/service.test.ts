// The serial service (SPEC.md §10-§11) driven with frames in and frames out.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FRAME_KIND_ACK,
  FRAME_KIND_DATA,
  FRAME_KIND_NAK,
  encodeFrameSlip,
  NAK_BAD_CRC,
} from '../../protocol/src/frame';
import {
  MSG_COMMAND,
  MSG_GET_CHECKPOINT,
  MSG_HELLO,
  MSG_PULL_LOG,
  MSG_SELF_TEST,
  MSG_STAGE,
  decodeMessage,
  encodeMessage,
  LOG_BATCH_FIXED_BYTES,
  logRecordCost,
} from '../../protocol/src/messages';
import {
  CMD_ACK_LOG,
  CMD_INSTALL_CERTIFICATE,
  CMD_KEYGEN,
  CMD_MAINTENANCE,
  CMD_PUT_BLOCKLIST,
  CMD_PUT_DIRECTORY,
  CMD_SET_TIME,
  signCommand,
} from '../../protocol/src/structures/command';
import { signBlocklist } from '../../protocol/src/structures/config';
import { signDirectory, signReaderCertificate } from '../../protocol/src/structures/keys';
import { chainGenesis, verifyLogRun, LOG_CONFIG, CHANGE_LOG_ACK } from '../../protocol/src/structures/log';
import { verifyCheckpoint } from '../../protocol/src/verify';
import { hostCrypto, sha256Host } from '../../protocol/src/node/ed25519';
import { attacker, otherFundId } from '../../protocol/scripts/vector-fixtures';
import { MAX_FRAME_PAYLOAD } from '../../protocol/src/frame';
import {
  READER_ID,
  SIM_T,
  T0,
  cmd,
  fundId,
  makeBlocklist,
  makeDirectory,
  memberCard,
  operator,
  provisionedReader,
  readerCert,
  root,
} from './fund';
import { HostDriver, ReaderSim } from './reader-sim';
import { VirtualFlash, isPowerCut } from './virtual-flash';
import { kinds, rebootOn } from './helpers';

const SEED = 0x4ca7;

function blankReader(label: string): { sim: ReaderSim; host: HostDriver } {
  const sim = new ReaderSim(new VirtualFlash(48 * 1024), SIM_T, label, 0, 0);
  sim.reader.boot();
  return { sim, host: new HostDriver(sim, 7) };
}

let provisioned: VirtualFlash;
let pub: Uint8Array;

beforeAll(() => {
  const p = provisionedReader('service');
  provisioned = p.sim.flash.clone();
  pub = p.publicKey;
});

function fromProvisioned(label: string): { sim: ReaderSim; host: HostDriver } {
  const sim = rebootOn(provisioned.clone(), label);
  const host = new HostDriver(sim, 500);
  host.hello(SIM_T);
  return { sim, host };
}

describe('link semantics (SPEC §11.3)', () => {
  it('HELLO → INFO of a blank reader; ACK before the response', () => {
    const { host } = blankReader('hello');
    const frames = host.raw(host.frameBytes(MSG_HELLO, encodeMessage(MSG_HELLO, [SIM_T]), 9, 3));
    expect(frames[0].kind).toBe(FRAME_KIND_ACK);
    expect(frames[0].seq).toBe(9);
    expect(frames[1].kind).toBe(FRAME_KIND_DATA);
    expect(frames[1].requestId).toBe(3);
    const m = decodeMessage(frames[1].type, frames[1].payload);
    expect(m.ok && m.message.type === 0x81 && m.message.state).toBe(0);
  });

  it('garbage and a bad CRC are answered by a NAK with the expected seq; nothing else happens', () => {
    const { host } = blankReader('garbage');
    host.hello(SIM_T);
    const good = host.frameBytes(MSG_SELF_TEST, encodeMessage(MSG_SELF_TEST, []), 200, 5);
    const bad = new Uint8Array(good);
    bad[5] ^= 0xff;
    const frames = host.raw(bad);
    expect(frames.length).toBe(1);
    expect(frames[0].kind).toBe(FRAME_KIND_NAK);
    expect(frames[0].payload[0]).toBe(NAK_BAD_CRC);
    expect(host.raw(new Uint8Array([0xc0, 1, 2, 3, 0xc0])).map((f) => f.kind)).toEqual([FRAME_KIND_NAK]);
    // Random noise never makes the reader answer anything but NAKs.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (noise) => {
        for (const f of host.raw(noise)) if (f.kind !== FRAME_KIND_NAK) return false;
        return true;
      }),
      { seed: SEED, numRuns: 200 },
    );
    console.log('fast-check seed', SEED);
    // The link still works afterwards (noise is closed by the leading END of the next frame).
    expect(host.request(MSG_SELF_TEST, []).type).toBe(0x86);
  });

  it('a request split at every byte position gives the same single response', () => {
    const { host } = blankReader('split');
    host.hello(SIM_T);
    const bytes = host.frameBytes(MSG_SELF_TEST, encodeMessage(MSG_SELF_TEST, []), 300, 44);
    for (let cut = 1; cut < bytes.length; cut++) {
      host.hello(SIM_T); // reset the duplicate filter: each split is a new request
      const a = host.raw(bytes.subarray(0, cut));
      const b = host.raw(bytes.subarray(cut));
      const data = a.concat(b).filter((f) => f.kind === FRAME_KIND_DATA);
      expect(data.length).toBe(1);
      expect(data[0].requestId).toBe(44);
    }
  });

  it('a duplicate seq is re-ACKed and answered from the cache: a command never runs twice', () => {
    const { sim, host } = fromProvisioned('dup');
    const nonce = host.nonce();
    const env = signCommand({ ...cmd(CMD_SET_TIME, [SIM_T + 500], operator), nonce: nonce }, operator, null);
    const frame = host.frameBytes(MSG_COMMAND, encodeMessage(MSG_COMMAND, [env]), 4000, 77);
    const first = host.raw(frame);
    const before = sim.reader.core.log.nextSeq;
    const second = host.raw(frame);
    expect(sim.reader.core.log.nextSeq).toBe(before);
    expect(second.map((f) => f.kind)).toEqual([FRAME_KIND_ACK, FRAME_KIND_DATA]);
    expect(Buffer.from(second[1].payload)).toEqual(Buffer.from(first[1].payload));
    expect(second[1].seq).toBe(first[1].seq);
    const r = decodeMessage(first[1].type, first[1].payload);
    expect(r.ok && r.message.type === 0x83 && r.message.status).toBe(0);
  });

  it('retransmits its response when the ACK does not come, then gives up after LINK_MAX_RETRIES', () => {
    const { sim, host } = blankReader('retx');
    host.raw(host.frameBytes(MSG_HELLO, encodeMessage(MSG_HELLO, [SIM_T]), 1, 1));
    let resent = 0;
    for (let i = 0; i < 10; i++) {
      sim.hostOut = [];
      sim.advance(400);
      resent += sim.hostOut.length;
    }
    expect(resent).toBe(5);
  });

  it('unknown type → ERROR 12; bad CBOR → ERROR 1; a response type from the host → ERROR 12', () => {
    const { host } = blankReader('errors');
    host.hello(SIM_T);
    const frames1 = host.raw(host.frameBytes(0x3e, new Uint8Array([0x80]), 1000, 9));
    const e1 = decodeMessage(frames1[1].type, frames1[1].payload);
    expect(e1.ok && e1.message.type === 0x7f && e1.message.code).toBe(12);
    const frames2 = host.raw(host.frameBytes(MSG_PULL_LOG, new Uint8Array([0xff]), 1001, 10));
    const e2 = decodeMessage(frames2[1].type, frames2[1].payload);
    expect(e2.ok && e2.message.type === 0x7f && e2.message.code).toBe(1);
    const frames3 = host.raw(host.frameBytes(0x81, new Uint8Array([0x80]), 1002, 11));
    const e3 = decodeMessage(frames3[1].type, frames3[1].payload);
    expect(e3.ok && e3.message.type === 0x7f && e3.message.code).toBe(12);
  });
});

describe('signed commands (SPEC §10)', () => {
  it('before KEYGEN: NOT_PROVISIONED; KEYGEN by someone else than the root key it names fails; twice refused', () => {
    const { host } = blankReader('keygen');
    host.hello(SIM_T);
    expect(host.command(cmd(CMD_SET_TIME, [SIM_T], root), root, null).status).toBe(7);
    // Names the root key but is signed by the attacker.
    const nonce = host.nonce();
    const forged = signCommand({ ...cmd(CMD_KEYGEN, [root.publicKey], root), nonce: nonce }, attacker, null);
    const r = host.request(MSG_COMMAND, [forged]);
    expect(r.type === 0x83 && r.status).toBe(2);
    const ok = host.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null);
    expect(ok.status).toBe(0);
    expect(ok.data?.length).toBe(32);
    expect(host.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null).status).toBe(8);
    const info = host.hello(SIM_T);
    expect(info.type === 0x81 && info.state).toBe(1);
  });

  it('a power cut at every byte of KEYGEN: the reader reboots blank or keyed with its log started', () => {
    const { sim, host } = blankReader('keygen-cut');
    host.hello(SIM_T);
    const snapshot = sim.flash.clone();
    const probe = blankReader('keygen-probe');
    probe.host.hello(SIM_T);
    const b0 = probe.sim.flash.bytesWritten;
    expect(probe.host.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null).status).toBe(0);
    const total = probe.sim.flash.bytesWritten - b0;
    let blank = 0;
    let keyed = 0;
    for (let n = 0; n < total; n++) {
      const flash = snapshot.clone();
      const s = new ReaderSim(flash, SIM_T, 'kg-' + n, 0, 0);
      s.reader.boot();
      const h = new HostDriver(s, 10);
      h.hello(SIM_T);
      flash.cutAfter = n;
      try {
        h.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null);
      } catch (e) {
        if (!isPowerCut(e)) throw e;
      }
      flash.cutAfter = -1;
      const again = rebootOn(flash, 'kg2-' + n);
      const core = again.reader.core;
      if (core.id === null) {
        blank++;
        const h2 = new HostDriver(again, 20);
        h2.hello(SIM_T);
        expect(h2.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null).status).toBe(0);
      } else {
        keyed++;
        expect(core.log.started).toBe(true);
        expect(kinds(again, LOG_CONFIG)[0].data[0]).toBe(1); // CHANGE_KEYGEN first
      }
    }
    expect(blank).toBeGreaterThan(0);
    expect(keyed).toBeGreaterThan(0);
    expect(sim.reader.core.id).toBeNull();
  });

  it('replayed command (nonce already used) → BAD_NONCE; no challenge → BAD_NONCE', () => {
    const { host } = fromProvisioned('replay');
    const nonce = host.nonce();
    const env = signCommand({ ...cmd(CMD_SET_TIME, [SIM_T], operator), nonce: nonce }, operator, null);
    const a = host.request(MSG_COMMAND, [env]);
    expect(a.type === 0x83 && a.status).toBe(0);
    const b = host.request(MSG_COMMAND, [env]);
    expect(b.type === 0x83 && b.status).toBe(3);
  });

  it('wrong fund, wrong reader, unknown signer, stale versions', () => {
    const { host } = fromProvisioned('wrong');
    expect(
      host.command(cmd(CMD_SET_TIME, [SIM_T], operator, READER_ID, otherFundId), operator, null).status,
    ).toBe(4);
    expect(host.command(cmd(CMD_SET_TIME, [SIM_T], operator, 999), operator, null).status).toBe(5);
    expect(host.command(cmd(CMD_SET_TIME, [SIM_T], attacker), attacker, null).status).toBe(2);
    const oldDir = signDirectory(makeDirectory(pub, 3), root);
    expect(host.command(cmd(CMD_PUT_DIRECTORY, [oldDir, null], root), root, null).status).toBe(6);
    const oldBl = signBlocklist(makeBlocklist(4, []), operator);
    expect(host.command(cmd(CMD_PUT_BLOCKLIST, [oldBl, null], operator), operator, null).status).toBe(6);
    // A certificate for another key is refused.
    const other = signReaderCertificate(readerCert(attacker.publicKey, T0 + 100 * 86400), root);
    expect(host.command(cmd(CMD_INSTALL_CERTIFICATE, [other, null], root), root, null).status).toBe(5);
  });

  it('STAGE → STAGED → PUT_DIRECTORY naming the staged SHA-256', () => {
    const { sim, host } = fromProvisioned('stage');
    const dir = signDirectory(makeDirectory(pub, 9), root);
    let off = 0;
    let last: ReturnType<HostDriver['request']> | null = null;
    while (off < dir.length) {
      const chunk = dir.subarray(off, Math.min(dir.length, off + 50));
      last = host.request(MSG_STAGE, [off, dir.length, chunk]);
      off += chunk.length;
    }
    expect(last !== null && last.type === 0x87 && last.received).toBe(dir.length);
    const digest = sha256Host(dir);
    expect(last !== null && last.type === 0x87 && Buffer.from(last.digest!)).toEqual(Buffer.from(digest));
    expect(host.command(cmd(CMD_PUT_DIRECTORY, [null, digest], root), root, null).status).toBe(0);
    expect(sim.reader.core.directory?.version).toBe(9);
    // A wrong digest is refused.
    expect(host.command(cmd(CMD_PUT_DIRECTORY, [null, new Uint8Array(32)], root), root, null).status).toBe(1);
  });

  it('SET_TIME: an operator may move the clock by 7 days at most, the root by more', () => {
    const { sim, host } = fromProvisioned('clock');
    const now = sim.clock.now;
    expect(host.command(cmd(CMD_SET_TIME, [now + 7 * 86400 + 1], operator), operator, null).status).toBe(9);
    expect(host.command(cmd(CMD_SET_TIME, [now - 7 * 86400 - 1], operator), operator, null).status).toBe(9);
    expect(sim.clock.now).toBe(now);
    expect(host.command(cmd(CMD_SET_TIME, [now + 7 * 86400], operator), operator, null).status).toBe(0);
    expect(host.command(cmd(CMD_SET_TIME, [now + 30 * 86400], root), root, null).status).toBe(0);
    expect(sim.clock.now).toBe(now + 30 * 86400);
  });

  it('MAINTENANCE sets the flag the shell reads to give the REPL back', () => {
    const { sim, host } = fromProvisioned('maint');
    expect(sim.reader.wantsMaintenance()).toBe(false);
    expect(host.command(cmd(CMD_MAINTENANCE, [], operator), operator, null).status).toBe(0);
    expect(sim.reader.wantsMaintenance()).toBe(true);
  });
});

describe('log pull, checkpoint, acknowledgement', () => {
  it('provisioning → sale → PULL_LOG chain verified (verifyLogRun), checkpoint verified, ACK frees', () => {
    const { sim, host } = fromProvisioned('pull');
    const card = memberCard();
    sim.keys('1200#1');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Paiement accepté');
    const recs: Uint8Array[] = [];
    let from = 1;
    let prev = chainGenesis(fundId, READER_ID, sha256Host);
    let head: number;
    for (;;) {
      const b = host.request(MSG_PULL_LOG, [from, 64]);
      if (b.type !== 0x84) throw new Error('no batch');
      expect(Buffer.from(b.prevHash)).toEqual(Buffer.from(prev));
      let bytes = LOG_BATCH_FIXED_BYTES;
      for (const r of b.records) bytes += logRecordCost(r.length);
      expect(bytes).toBeLessThanOrEqual(MAX_FRAME_PAYLOAD);
      const run = verifyLogRun(prev, from, b.records, sha256Host);
      expect(run.ok).toBe(true);
      recs.push(...b.records);
      prev = run.value.head;
      from += b.records.length;
      head = b.headSeq;
      if (b.records.length === 0 || from > head) break;
    }
    expect(recs.length).toBe(head);
    const nonce = new Uint8Array(16).fill(3);
    const ck = host.request(MSG_GET_CHECKPOINT, [nonce]);
    if (ck.type !== 0x85) throw new Error('no checkpoint');
    const v = verifyCheckpoint(ck.envelope, pub, fundId, READER_ID, hostCrypto);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.value.seq).toBe(head);
      expect(Buffer.from(v.value.head)).toEqual(Buffer.from(prev));
      expect(Buffer.from(v.value.nonce!)).toEqual(Buffer.from(nonce));
    }
    // ACK with a wrong head is refused; with the right one it is logged.
    expect(host.command(cmd(CMD_ACK_LOG, [head, new Uint8Array(32)], operator), operator, null).status).toBe(
      1,
    );
    expect(host.command(cmd(CMD_ACK_LOG, [head, prev], operator), operator, null).status).toBe(0);
    const acks = kinds(sim, LOG_CONFIG).filter((r) => r.data[0] === CHANGE_LOG_ACK);
    expect(acks[acks.length - 1].data[1]).toBe(head);
    const out = host.request(MSG_PULL_LOG, [head + 5, 4]);
    expect(out.type === 0x7f && out.code).toBe(10);
  });

  it('log full: sales refused with "Journal plein — synchronisez"; PULL + ACK frees and sales resume', () => {
    const p = provisionedReader('full', new VirtualFlash(48 * 1024), 3, 1024);
    const sim = p.sim;
    const host = p.host;
    const card = memberCard();
    let sales = 0;
    for (let i = 0; i < 100; i++) {
      sim.keys('10#');
      if (sim.screen()[0] === 'Journal plein') break;
      sim.keys('1');
      sim.tap(card);
      expect(sim.screen()[0]).toBe('Paiement accepté');
      sim.removeCard();
      sim.advance(5000);
      sales++;
    }
    sim.advance(5000);
    expect(sales).toBeGreaterThan(3);
    expect(sim.reader.core.notReady()).toEqual(['Journal plein', 'synchronisez']);
    // Nothing was freed without an ACK.
    expect(sim.reader.core.log.firstSeq()).toBe(1);
    const head = sim.reader.core.log.nextSeq - 1;
    const h = sim.reader.core.log.hashAt(head)!;
    expect(host.command(cmd(CMD_ACK_LOG, [head, h], operator), operator, null).status).toBe(0);
    expect(sim.reader.core.log.firstSeq()).toBeGreaterThan(1);
    expect(sim.reader.core.notReady()).toEqual([]);
    sim.keys('10#1');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Paiement accepté');
    // And the reopened log still chains from the held part.
    const again = rebootOn(sim.flash.clone(), 'full-2');
    const log = again.reader.core.log;
    const recs: Uint8Array[] = [];
    const prev = log.scan(log.firstSeq(), (s, r) => (recs.push(r), true))!;
    expect(verifyLogRun(prev, log.firstSeq(), recs, sha256Host).value.head).toEqual(log.head);
  });

  it('SELF_TEST works without NFC and printer hardware and reports them missing', () => {
    const sim = new ReaderSim(new VirtualFlash(48 * 1024), SIM_T, 'selftest', 0, 0);
    sim.printerPresent = false;
    (sim.reader.service.opts as { nfcPresent: boolean }).nfcPresent = false;
    sim.reader.boot();
    expect(sim.screens[0]).toEqual(
      ['Lecteur NFC absent', 'Imprimante absente'].slice(0, 0).length === 0 ? sim.screens[0] : [],
    );
    const host = new HostDriver(sim, 1);
    host.hello(SIM_T);
    const r = host.request(MSG_SELF_TEST, []);
    if (r.type !== 0x86) throw new Error('no report');
    const byName: { [k: string]: boolean } = {};
    for (const e of r.entries) byName[e.name] = e.ok;
    expect(byName.nfc).toBe(false);
    expect(byName.printer).toBe(false);
    expect(byName.ed25519).toBe(true);
    expect(byName.sha256).toBe(true);
    expect(byName.storage).toBe(true);
  });
});

it('encodes every frame it sends as the protocol frame codec does', () => {
  const f = encodeFrameSlip({
    kind: FRAME_KIND_ACK,
    seq: 1,
    requestId: 0,
    type: 0,
    payload: new Uint8Array(0),
  });
  expect(f[0]).toBe(0xc0);
});
