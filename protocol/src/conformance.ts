// Runs one golden vector (protocol/vectors/*.json) and returns what this implementation says of it.
// Portable (Espruino subset): the protocol tests, the firmware bundle and the host all call it, with
// their own crypto, and must all give the vector's expected verdict and decoded summary.

import { CborValue, CborMap, cborDecode } from './cbor';
import { fromHex, toHex } from './bytes';
import { ProtocolCrypto } from './crypto/types';
import {
  verifyBlocklist,
  verifyCheckpoint,
  verifyCommand,
  verifyConfig,
  verifyDirectory,
  verifyKeyCertificate,
  verifyReaderCertificate,
  verifyState,
  verifyVoucher,
} from './verify';
import { decodeLogRecord, verifyLogRun } from './structures/log';
import { decodeCardHeader, regionOf, layoutForChip } from './card';
import { FrameStreamDecoder, FRAME_KIND_DATA } from './frame';
import { decodeMessage } from './messages';

export interface VectorCase {
  id: number;
  comment: string;
  context: { [k: string]: string | number | boolean | null };
  bytes: string;
  result: string;
  code: string | null;
  decoded: unknown;
  flags: string[];
}

export interface CaseOutcome {
  result: string;
  code: string | null;
  decoded: unknown;
}

/** JSON-comparable form of a decoded value: byte strings become lower-case hex. */
export function summarize(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (v instanceof CborMap) {
    const m: { [k: string]: unknown } = {};
    for (let i = 0; i < v.keys.length; i++) m[String(v.keys[i])] = summarize(v.values[i]);
    return m;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) out.push(summarize(v[i]));
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const o: { [k: string]: unknown } = {};
    const src = v as { [k: string]: unknown };
    for (const k in src) {
      if (k !== 'opened') o[k] = summarize(src[k]);
    }
    return o;
  }
  return v;
}

function hexOf(ctx: VectorCase['context'], key: string): Uint8Array {
  const v = ctx[key];
  return typeof v === 'string' ? fromHex(v) : new Uint8Array(0);
}

function numOf(ctx: VectorCase['context'], key: string): number {
  const v = ctx[key];
  return typeof v === 'number' ? v : 0;
}

function outcome(v: { ok: boolean; code?: string; value?: unknown }): CaseOutcome {
  if (v.ok) return { result: 'valid', code: null, decoded: summarize(v.value) };
  return { result: 'invalid', code: v.code === undefined ? null : v.code, decoded: null };
}

/** Runs one case of the vector file for `structure`. */
export function runVectorCase(structure: string, t: VectorCase, crypto: ProtocolCrypto): CaseOutcome {
  const bytes = fromHex(t.bytes);
  const c = t.context;
  if (structure === 'key_certificate') {
    return outcome(
      verifyKeyCertificate(bytes, hexOf(c, 'signer'), hexOf(c, 'fund_id'), numOf(c, 'now'), crypto),
    );
  }
  if (structure === 'reader_certificate') {
    return outcome(
      verifyReaderCertificate(bytes, hexOf(c, 'signer'), hexOf(c, 'fund_id'), numOf(c, 'now'), crypto),
    );
  }
  if (structure === 'directory')
    return outcome(verifyDirectory(bytes, hexOf(c, 'signer'), hexOf(c, 'fund_id'), crypto));
  if (structure === 'voucher') {
    const v = verifyVoucher(
      bytes,
      c.in_region === true,
      hexOf(c, 'signer'),
      hexOf(c, 'fund_id'),
      hexOf(c, 'card_uid'),
      numOf(c, 'month'),
      crypto,
    );
    return outcome(v.ok ? { ok: true, value: v.value.voucher } : v);
  }
  if (structure === 'state') {
    const s = verifyState(bytes, c.in_region === true, hexOf(c, 'signer'), hexOf(c, 'pseudonym'), crypto);
    return outcome(s.ok ? { ok: true, value: s.value.state } : s);
  }
  if (structure === 'config') {
    return outcome(
      verifyConfig(bytes, hexOf(c, 'signer'), hexOf(c, 'fund_id'), numOf(c, 'reader_id'), crypto),
    );
  }
  if (structure === 'blocklist')
    return outcome(verifyBlocklist(bytes, hexOf(c, 'signer'), hexOf(c, 'fund_id'), crypto));
  if (structure === 'checkpoint') {
    return outcome(
      verifyCheckpoint(bytes, hexOf(c, 'signer'), hexOf(c, 'fund_id'), numOf(c, 'reader_id'), crypto),
    );
  }
  if (structure === 'command') {
    const v = verifyCommand(
      bytes,
      hexOf(c, 'signer'),
      hexOf(c, 'fund_id'),
      numOf(c, 'reader_id'),
      hexOf(c, 'nonce'),
      crypto,
    );
    return outcome(
      v.ok
        ? { ok: true, value: { command: v.value.value, signerCertificate: v.value.signerCertificate } }
        : v,
    );
  }
  if (structure === 'log_record') return outcome(decodeLogRecord(bytes));
  if (structure === 'log_chain') return runChain(bytes, c, crypto);
  if (structure === 'card_header') return outcome(decodeCardHeader(bytes));
  if (structure === 'card_image') return runCardImage(bytes, c, crypto);
  if (structure === 'cbor') {
    const d = cborDecode(bytes);
    return d.ok
      ? { result: 'valid', code: null, decoded: summarize(d.value) }
      : { result: 'invalid', code: d.code, decoded: null };
  }
  if (structure === 'frame') return runFrames(bytes);
  if (structure === 'ed25519') {
    const ok = crypto.verify(hexOf(c, 'public_key'), hexOf(c, 'message'), bytes);
    return { result: ok ? 'valid' : 'invalid', code: null, decoded: null };
  }
  return { result: 'invalid', code: 'VECTOR_UNKNOWN_STRUCTURE', decoded: null };
}

/** log_chain: `bytes` is a CBOR array of record byte strings; the context gives fund, reader and from. */
function runChain(bytes: Uint8Array, c: VectorCase['context'], crypto: ProtocolCrypto): CaseOutcome {
  const d = cborDecode(bytes);
  if (!d.ok || !Array.isArray(d.value)) return { result: 'invalid', code: 'STRUCT_CBOR', decoded: null };
  const records: Uint8Array[] = [];
  const arr = d.value as CborValue[];
  for (let i = 0; i < arr.length; i++) {
    const r = arr[i];
    if (!(r instanceof Uint8Array)) return { result: 'invalid', code: 'STRUCT_SHAPE', decoded: null };
    records.push(r);
  }
  const prev = hexOf(c, 'prev');
  const run = verifyLogRun(prev, numOf(c, 'from_seq'), records, crypto.sha256);
  const head = toHex(run.value.head);
  if (!run.ok)
    return { result: 'invalid', code: run.code, decoded: { head: head, last_seq: run.value.lastSeq } };
  return { result: 'valid', code: null, decoded: { head: head, last_seq: run.value.lastSeq } };
}

/** card_image: a dump of user memory from page 4; context gives the keys needed to read it. */
function runCardImage(bytes: Uint8Array, c: VectorCase['context'], crypto: ProtocolCrypto): CaseOutcome {
  const h = decodeCardHeader(bytes);
  if (!h.ok) return { result: 'invalid', code: h.code, decoded: null };
  const l = layoutForChip(h.value.chip);
  if (l === null) return { result: 'invalid', code: 'CARD_CHIP', decoded: null }; // decodeCardHeader checked it
  const v = verifyVoucher(
    regionOf(bytes, l.voucher),
    true,
    hexOf(c, 'issuer'),
    hexOf(c, 'fund_id'),
    hexOf(c, 'card_uid'),
    numOf(c, 'month'),
    crypto,
  );
  if (!v.ok) return { result: 'invalid', code: v.code, decoded: null };
  const slots: unknown[] = [];
  const regions = [l.slotA, l.slotB];
  for (let i = 0; i < 2; i++) {
    const region = regionOf(bytes, regions[i]);
    const s = verifyState(region, true, hexOf(c, 'reader'), v.value.voucher.pseudonym, crypto);
    slots.push(
      s.ok
        ? { ok: true, card_seq: s.value.state.cardSeq, spent: s.value.state.spent }
        : { ok: false, code: s.code },
    );
  }
  return {
    result: 'valid',
    code: null,
    decoded: { chip: h.value.chip, pseudonym: toHex(v.value.voucher.pseudonym), slots: slots },
  };
}

/**
 * frame: `bytes` is a SLIP byte stream (SPEC.md §11). decoded: one entry per event — a frame with its
 * header and, for DATA, its decoded message — or the receive error. The first error decides the verdict.
 */
function runFrames(bytes: Uint8Array): CaseOutcome {
  const d = new FrameStreamDecoder();
  const events = d.push(bytes);
  const out: unknown[] = [];
  let firstError: string | null = null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!e.ok) {
      out.push({ error: e.code });
      if (firstError === null) firstError = e.code;
      continue;
    }
    const f = e.frame;
    const entry: { [k: string]: unknown } = {
      kind: f.kind,
      seq: f.seq,
      request_id: f.requestId,
      type: f.type,
      payload: toHex(f.payload),
    };
    if (f.kind === FRAME_KIND_DATA) {
      const m = decodeMessage(f.type, f.payload);
      if (m.ok) entry.message = summarize(m.message);
      else {
        entry.message_error = m.code;
        if (firstError === null) firstError = m.code;
      }
    }
    out.push(entry);
  }
  return { result: firstError === null ? 'valid' : 'invalid', code: firstError, decoded: out };
}
