// Golden vectors × the firmware BUNDLE: every case of protocol/vectors/*.json is run inside node:vm with
// only Espruino's globals (test/sim/espruino-vm.ts), through build/conformance.js — the protocol code as
// esbuild bundles it for the reader — and must give the expected verdict, error code and decoded summary.
//
// Crypto inside the vm: the bundle's own portable SHA-256, and an Ed25519 verifier INJECTED BY THE HOST
// (node:crypto via protocol/src/node/ed25519.ts): the vm has no native code. The bundle applies the
// byte-level carnet rule itself before calling it (protocol/src/crypto/ed25519-rule.ts).

import { describe, it, expect, beforeAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { VECTORS_DIR } from '../../protocol/scripts/gen-vectors';
import { EspruinoVm } from '../sim/espruino-vm';
import { buildBundlesOnce, builtText } from '../sim/firmware-bundle';

interface VectorFileJson {
  structure: string;
  tests: { id: number; result: string; code: string | null; decoded: unknown }[];
}

interface ConformanceApi {
  runCaseJson(
    structure: string,
    caseJson: string,
    verify: (pub: unknown, msg: unknown, sig: unknown) => boolean,
  ): string;
}

const files = readdirSync(VECTORS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** HOST-INJECTED Ed25519 verifier: copies the vm's byte arrays into this realm and asks node:crypto. */
let hostVerifyCalls = 0;
function hostInjectedVerify(pub: unknown, msg: unknown, sig: unknown): boolean {
  hostVerifyCalls++;
  return hostCrypto.verify(
    new Uint8Array(pub as ArrayLike<number>),
    new Uint8Array(msg as ArrayLike<number>),
    new Uint8Array(sig as ArrayLike<number>),
  );
}

describe('golden vectors inside the bundle (node:vm, Espruino globals only)', () => {
  let api: ConformanceApi;
  let espruino: EspruinoVm;

  beforeAll(async () => {
    const built = await buildBundlesOnce();
    espruino = new EspruinoVm();
    espruino.run(builtText(built, 'conformance.js'), 'conformance.js');
    api = espruino.global('carnetConformance') as ConformanceApi;
  }, 120_000);

  it('the vm really lacks the built-ins Espruino lacks', () => {
    for (const expr of ['Map', 'Set', 'Symbol', 'BigInt', 'Proxy', 'Reflect', 'DataView', 'RangeError']) {
      expect(espruino.run('typeof ' + expr, 'probe.js'), expr).toBe('undefined');
    }
    for (const expr of ['Array.from', 'Math.imul', 'Uint8Array.from', 'Number.isInteger', 'Object.freeze']) {
      expect(espruino.run('typeof ' + expr, 'probe.js'), expr).toBe('undefined');
    }
    expect(espruino.run('new Uint8Array([1,2,3]).slice(1) instanceof Uint8Array', 'probe.js')).toBe(false);
    expect(espruino.run('typeof new Uint8Array(2).at', 'probe.js')).toBe('undefined');
    expect(() => espruino.run('new Map()', 'probe.js')).toThrow(/Map is not defined/);
  });

  it('exposes runCaseJson', () => {
    expect(typeof api.runCaseJson).toBe('function');
  });

  for (const file of files) {
    const vf = JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as VectorFileJson;
    it(`${file}: ${vf.tests.length} cases give the expected verdict in the bundle`, () => {
      let valid = 0;
      for (const t of vf.tests) {
        const o = JSON.parse(api.runCaseJson(vf.structure, JSON.stringify(t), hostInjectedVerify)) as {
          result: string;
          code: string | null;
          decoded: unknown;
        };
        expect({ id: t.id, result: o.result, code: o.code }).toEqual({
          id: t.id,
          result: t.result,
          code: t.code,
        });
        expect(o.decoded, `${file} #${t.id} decoded`).toEqual(t.decoded);
        if (o.result === 'valid') valid++;
      }
      expect(valid).toBeGreaterThan(0);
    });
  }

  it('used the host-injected verifier (signatures were really checked)', () => {
    expect(hostVerifyCalls).toBeGreaterThan(50);
  });
});
