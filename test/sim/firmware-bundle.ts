// Builds the firmware bundles once per test process (firmware/build.ts into a fresh temporary directory),
// so that the vm tests always run what the current sources produce — never a stale firmware/build/.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmware, BuildResult } from '../../firmware/build';

let pending: Promise<BuildResult> | null = null;

/** The build of this process (gate violations and budget errors are in the result, not thrown). */
export function buildBundlesOnce(): Promise<BuildResult> {
  if (pending === null) {
    const lines: string[] = [];
    pending = buildFirmware({
      outDir: mkdtempSync(join(tmpdir(), 'carnet-vm-')),
      log: (l) => lines.push(l),
    }).then((r) => {
      for (const l of lines) console.log(l);
      return r;
    });
  }
  return pending;
}

/** Text of one built file (latin1: the bundles are ASCII). */
export function builtText(r: BuildResult, name: string): string {
  return readFileSync(join(r.outDir, name), 'latin1');
}
