// Fuzzing of the structure decoders and verifiers (protocol/src/structures, verify.ts, card.ts) with
// fast-check. Contract, on every input: no throw; a verdict with a known code and a French message; and
// whenever a decoder accepts, re-encoding the decoded value gives back the exact body bytes (a decoder
// never accepts two encodings of one value). Inputs: mutations of the golden vectors' bytes (bit flips,
// byte replacements, truncations, insertions, deletions, splices) and random bytes.
// Shared by protocol/src/structures/structures.fuzz.test.ts (100,000 runs per decoder) and `npm run fuzz`.

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, bytesEqual } from '../src/bytes';
import { VECTORS_DIR } from './gen-vectors';
import { ProtocolCrypto } from '../src/crypto/types';
import { sha256 } from '../src/crypto/sha256';
import { openVoucher, encodeVoucher, openVoucherInRegion } from '../src/structures/voucher';
import { openState, encodeState, openStateInRegion, decodeStateBody } from '../src/structures/state';
import { openConfig, encodeConfig, openBlocklist, encodeBlocklist } from '../src/structures/config';
import {
  openKeyCertificate,
  encodeKeyCertificate,
  openReaderCertificate,
  encodeReaderCertificate,
  openDirectory,
  encodeDirectory,
} from '../src/structures/keys';
import {
  decodeLogRecord,
  encodeLogRecord,
  openCheckpoint,
  encodeCheckpoint,
  verifyLogRun,
} from '../src/structures/log';
import { openCommand, encodeCommand } from '../src/structures/command';
import { decodeCardHeader, encodeCardHeader } from '../src/card';
import { STRUCT_MESSAGES_FR } from '../src/errors';
import { CBOR_DECODE_CODES } from '../src/cbor';
import { verifyVoucher, verifyState, verifyConfig, verifyCommand } from '../src/verify';

/** A crypto that accepts every signature: lets the fuzzer reach the checks after the signature. */
const acceptAll: ProtocolCrypto = { sha256: sha256, verify: () => true };

type Verdictish = { ok: boolean; code?: string; message?: string };

interface Target {
  name: string;
  seeds: Uint8Array[];
  /** Runs the decoder; returns the re-encoded body when it accepted, or null. Throws on contract violation. */
  run: (b: Uint8Array) => { verdict: Verdictish; reencoded: Uint8Array | null; expected: Uint8Array | null };
}

function loadSeeds(structure: string): Uint8Array[] {
  const f = JSON.parse(readFileSync(join(VECTORS_DIR, structure + '.json'), 'utf8')) as {
    tests: { bytes: string }[];
  };
  return f.tests.map((t) => fromHex(t.bytes));
}

function opened<T>(
  v:
    | { ok: true; value: { opened: { body: Uint8Array }; value: T } }
    | { ok: false; code: string; message: string },
  enc: (x: T) => Uint8Array,
) {
  return v.ok
    ? { verdict: v, reencoded: enc(v.value.value), expected: v.value.opened.body }
    : { verdict: v, reencoded: null, expected: null };
}

export function fuzzTargets(): Target[] {
  const ts: Target[] = [
    { name: 'voucher', seeds: loadSeeds('voucher'), run: (b) => opened(openVoucher(b), encodeVoucher) },
    {
      name: 'voucher (card region)',
      seeds: loadSeeds('voucher'),
      run: (b) => opened(openVoucherInRegion(b), encodeVoucher),
    },
    { name: 'state', seeds: loadSeeds('state'), run: (b) => opened(openState(b), encodeState) },
    {
      name: 'state (card region)',
      seeds: loadSeeds('state'),
      run: (b) => opened(openStateInRegion(b), encodeState),
    },
    { name: 'config', seeds: loadSeeds('config'), run: (b) => opened(openConfig(b), encodeConfig) },
    {
      name: 'blocklist',
      seeds: loadSeeds('blocklist'),
      run: (b) => opened(openBlocklist(b), encodeBlocklist),
    },
    {
      name: 'key certificate',
      seeds: loadSeeds('key_certificate'),
      run: (b) => opened(openKeyCertificate(b), encodeKeyCertificate),
    },
    {
      name: 'reader certificate',
      seeds: loadSeeds('reader_certificate'),
      run: (b) => opened(openReaderCertificate(b), encodeReaderCertificate),
    },
    {
      name: 'directory',
      seeds: loadSeeds('directory'),
      run: (b) => opened(openDirectory(b), encodeDirectory),
    },
    {
      name: 'checkpoint',
      seeds: loadSeeds('checkpoint'),
      run: (b) => opened(openCheckpoint(b), encodeCheckpoint),
    },
    { name: 'command', seeds: loadSeeds('command'), run: (b) => opened(openCommand(b), encodeCommand) },
    {
      name: 'log record',
      seeds: loadSeeds('log_record'),
      run: (b) => {
        const v = decodeLogRecord(b);
        return v.ok
          ? { verdict: v, reencoded: encodeLogRecord(v.value), expected: b }
          : { verdict: v, reencoded: null, expected: null };
      },
    },
    {
      name: 'state body (from logs)',
      seeds: loadSeeds('state').map((s) => s.subarray(3, Math.max(3, s.length - 66))),
      run: (b) => {
        const v = decodeStateBody(b);
        return v.ok
          ? { verdict: v, reencoded: encodeState(v.value), expected: b }
          : { verdict: v, reencoded: null, expected: null };
      },
    },
    {
      name: 'card header',
      seeds: loadSeeds('card_header'),
      run: (b) => {
        const v = decodeCardHeader(b);
        return v.ok
          ? {
              verdict: v,
              reencoded: encodeCardHeader(v.value.chip, v.value.flags),
              expected: b.subarray(0, 8),
            }
          : { verdict: v, reencoded: null, expected: null };
      },
    },
    {
      name: 'verifiers (signature accepted)',
      seeds: loadSeeds('voucher').concat(loadSeeds('state'), loadSeeds('config'), loadSeeds('command')),
      run: (b) => {
        const k = new Uint8Array(32);
        const results: Verdictish[] = [
          verifyVoucher(b, true, k, new Uint8Array(8), new Uint8Array(7), 682, acceptAll),
          verifyState(b, false, k, new Uint8Array(8), acceptAll),
          verifyConfig(b, k, new Uint8Array(8), 101, acceptAll),
          verifyCommand(b, k, new Uint8Array(8), 101, new Uint8Array(16), acceptAll),
          verifyLogRun(new Uint8Array(32), 1, [b], sha256),
        ];
        for (const r of results) checkVerdict(r);
        return {
          verdict: { ok: false, code: 'STRUCT_SHAPE', message: 'x' },
          reencoded: null,
          expected: null,
        };
      },
    },
  ];
  return ts;
}

const KNOWN = new Set(Object.keys(STRUCT_MESSAGES_FR).concat(CBOR_DECODE_CODES));

function checkVerdict(v: Verdictish): void {
  if (typeof v !== 'object' || v === null || typeof v.ok !== 'boolean') throw new Error('no verdict');
  if (!v.ok) {
    if (!v.code || !KNOWN.has(v.code)) throw new Error('unknown error code ' + v.code);
    if (typeof v.message !== 'string' || v.message.length === 0) throw new Error('no message for ' + v.code);
  }
}

/** Arbitrary input: a mutated seed or random bytes. */
export function inputArbitrary(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const seed = fc.constantFrom(...seeds);
  const mutated = fc
    .tuple(
      seed,
      fc.array(fc.tuple(fc.nat(5), fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 12 })), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([s, muts]) => {
      let b = new Uint8Array(s);
      for (const [op, pos, val, chunk] of muts) {
        const p = b.length === 0 ? 0 : pos % b.length;
        if (op === 0 && b.length > 0)
          b[p] ^= 1 << (val & 7); // bit flip
        else if (op === 1 && b.length > 0)
          b[p] = val; // byte replacement
        else if (op === 2)
          b = b.subarray(0, p); // truncation
        else if (op === 3)
          b = Buffer.concat([b.subarray(0, p), chunk, b.subarray(p)]); // insertion
        else if (op === 4)
          b = Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + (val & 15)))]); // deletion
        else b = Buffer.concat([b.subarray(0, p), chunk]); // splice random tail
      }
      return new Uint8Array(b);
    });
  return fc.oneof(
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
}

/** Runs `runs` inputs on every target; throws (with fast-check's counterexample and seed) on a violation. */
export function fuzzStructures(
  runs: number,
  seed: number,
  only?: string,
): { target: string; runs: number; accepted: number; ms: number }[] {
  const out = [];
  for (const t of fuzzTargets()) {
    if (only && t.name !== only) continue;
    let accepted = 0;
    const start = Date.now();
    fc.assert(
      fc.property(inputArbitrary(t.seeds), (b) => {
        const r = t.run(b);
        checkVerdict(r.verdict);
        if (r.verdict.ok) {
          accepted++;
          if (!r.reencoded || !r.expected || !bytesEqual(r.reencoded, r.expected)) {
            throw new Error(t.name + ': accepted bytes that do not re-encode identically');
          }
        }
      }),
      { seed: seed, numRuns: runs },
    );
    out.push({ target: t.name, runs: runs, accepted: accepted, ms: Date.now() - start });
  }
  return out;
}
