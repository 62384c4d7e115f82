// npm run bench:native — the Thumb blob on an emulated Cortex-M4 (QEMU mps2-an386, -icount shift=0):
// instructions executed per operation (exact and deterministic, see harness/harness.c), stack high-water
// mark, blob size, against the targets. Instruction counts, not time: QEMU's clock says nothing about
// a real Cortex-M4's, so the milliseconds printed are only the lower bound of one instruction per cycle.

import { BLOB_MAX_BYTES, NATIVE_STACK_MAX_BYTES, ensureNativeBuild } from './build';
import { runHarness, type HarnessOp } from './qemu';
import { nodeKeyAndSign } from './test-support';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Targets of issue 3 (instructions): limit and aim. */
export const VERIFY_MAX_INSTRUCTIONS = 2_500_000;
export const VERIFY_AIM_INSTRUCTIONS = 1_500_000;
export const SIGN_MAX_INSTRUCTIONS = 2_000_000;
export const SIGN_AIM_INSTRUCTIONS = 1_000_000;

const build = ensureNativeBuild({ log: (s) => console.log(s) });
const seed = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
const lengths = [0, 64, 128, 256];
const rows: { label: string; op: HarnessOp }[] = [];
for (const n of lengths) {
  const msg = new Uint8Array(n).map((_, i) => (i * 13 + 1) & 0xff);
  const { pub, sig } = nodeKeyAndSign(seed, msg);
  rows.push({
    label: `verify, ${n}-byte message (valid)`,
    op: { op: 'verify', sig, pub, msg, measure: true },
  });
  const bad = new Uint8Array(sig);
  bad[0] ^= 1;
  rows.push({
    label: `verify, ${n}-byte message (R altered)`,
    op: { op: 'verify', sig: bad, pub, msg, measure: true },
  });
}
for (const n of lengths) {
  const msg = new Uint8Array(n).map((_, i) => (i * 13 + 1) & 0xff);
  rows.push({ label: `sign, ${n}-byte message`, op: { op: 'sign', seed, msg, measure: true } });
}
{
  const { pub, sig } = nodeKeyAndSign(seed, new Uint8Array(64));
  const sBig = new Uint8Array(sig);
  sBig[63] |= 0xf0;
  rows.push({
    label: 'verify, S >= L (refused early)',
    op: { op: 'verify', sig: sBig, pub, msg: new Uint8Array(64), measure: true },
  });
  rows.push({ label: 'public key from seed', op: { op: 'pubkey', seed, measure: true } });
  rows.push({ label: 'key check (decode + small order)', op: { op: 'checkPubkey', pub, measure: true } });
}
for (const n of [64, 1024]) {
  rows.push({ label: `SHA-512, ${n} bytes`, op: { op: 'sha512', msg: new Uint8Array(n), measure: true } });
}

const run = runHarness(
  build,
  rows.map((r) => r.op),
);
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const fmt = (n: number): string => n.toLocaleString('en-US');

console.log('');
console.log(`Thumb blob ${build.blob}`);
console.log(
  `  size ${fmt(build.info.size)} bytes (budget ${fmt(BLOB_MAX_BYTES)}), CRC-32 0x${build.info.crc32.toString(16)}`,
);
console.log(`  run by QEMU mps2-an386 (Cortex-M4) at 0x${run.blobAddress.toString(16)}, -icount shift=0`);
console.log('');
console.log(
  `${pad('operation', 40)}${lpad('instructions', 14)}${lpad('stack (B)', 11)}${lpad('>= ms @64 MHz', 15)}${lpad('>= ms @84 MHz', 15)}`,
);
let maxStack = 0;
const icount = new Map<string, number>();
rows.forEach((r, i) => {
  const res = run.results[i];
  const n = res.icount!;
  icount.set(r.label, n);
  maxStack = Math.max(maxStack, res.stack!);
  console.log(
    `${pad(r.label, 40)}${lpad(fmt(n), 14)}${lpad(fmt(res.stack!), 11)}${lpad((n / 64000).toFixed(1), 15)}${lpad((n / 84000).toFixed(1), 15)}`,
  );
});

const verify = Math.max(...lengths.map((n) => icount.get(`verify, ${n}-byte message (valid)`)!));
const verify64 = icount.get('verify, 64-byte message (valid)')!;
const sign64 = icount.get('sign, 64-byte message')!;
const sign = Math.max(...lengths.map((n) => icount.get(`sign, ${n}-byte message`)!));
const verdict = (v: number, max: number, aim: number): string =>
  v <= aim
    ? `meets the aim (${fmt(aim)})`
    : v <= max
      ? `within the limit, misses the aim ${fmt(aim)} by ${fmt(v - aim)}`
      : `MISSES the limit ${fmt(max)} by ${fmt(v - max)}`;
console.log('');
console.log('Targets (issue 3):');
console.log(
  `  verify  ${fmt(verify64)} (64-byte message), ${fmt(verify)} (up to 256 bytes): ${verdict(verify, VERIFY_MAX_INSTRUCTIONS, VERIFY_AIM_INSTRUCTIONS)}`,
);
console.log(
  `  sign    ${fmt(sign64)} (64-byte message), ${fmt(sign)} (up to 256 bytes): ${verdict(sign, SIGN_MAX_INSTRUCTIONS, SIGN_AIM_INSTRUCTIONS)}`,
);
console.log(
  `  blob    ${fmt(build.info.size)} bytes: ${build.info.size <= BLOB_MAX_BYTES ? 'within' : 'OVER'} ${fmt(BLOB_MAX_BYTES)}`,
);
console.log(
  `  stack   ${fmt(maxStack)} bytes at most: ${maxStack <= NATIVE_STACK_MAX_BYTES ? 'within' : 'OVER'} ${fmt(NATIVE_STACK_MAX_BYTES)}`,
);

// Published for `npm run bench:tap`, which turns these counts into milliseconds of the tap budget.
writeFileSync(
  join(dirname(build.blob), 'bench.json'),
  JSON.stringify(
    {
      verify_instructions: verify64,
      sign_instructions: sign64,
      blob_bytes: build.info.size,
      stack_bytes: maxStack,
    },
    null,
    1,
  ) + '\n',
);
