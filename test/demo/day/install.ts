// Step « installation du micrologiciel » of the market day: the Storage files of the firmware manifest
// (firmware/build/manifest.json, made by `npm run build:firmware`), with their sizes and SHA-256, checked
// against the files on disk; when there is no manifest yet, the firmware is built into the demo folder.
// Over ptys each simulated board receives these files through the installer of `carnet lecteur
// installer` (links.ts boardReader) and installReportLines says what it did; on the in-process pipe or a
// real reader nothing is uploaded and firmwareInstallStep says what would be.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lang, tr } from './text';
import { InstallReport } from '../../../host/src/link/espruino-packet';

export interface FirmwareFile {
  /** Name in the reader's Espruino Storage. */
  storageName: string;
  bytes: number;
  sha256: string;
  /** False when the file on disk no longer matches its manifest line (rebuilt since, or edited). */
  matches: boolean;
  /** Where the file is on disk. */
  path: string;
}

export interface FirmwarePlan {
  manifestPath: string;
  /** True when this run had to build the firmware (no manifest was there). */
  built: boolean;
  files: FirmwareFile[];
  /** Storage left for the log once installed (manifest's budget), negative when the code does not fit. */
  storageLeft: number | null;
}

interface ManifestFile {
  file: string;
  storageName: string | null;
  bytes: number;
  sha256: string;
}

interface Manifest {
  files: ManifestFile[];
  nativeBlob?: { storageName: string; bytes: number; file: string | null };
  budget?: { storageLeftForLogBytes: number };
}

/** firmware/ of this checkout (where build.ts writes build/manifest.json). */
const FIRMWARE_DIR = fileURLToPath(new URL('../../../firmware', import.meta.url));

function sha256File(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Paths in the manifest are relative to firmware/ (absolute when built elsewhere). */
function resolve(p: string): string {
  return isAbsolute(p) ? p : join(FIRMWARE_DIR, p);
}

/**
 * What would go to a reader's Storage. `buildDir` is where to build when firmware/build has no manifest
 * (the demo's output folder, so that the demo writes nowhere else).
 */
export async function firmwarePlan(
  buildDir: string,
  manifest: string = join(FIRMWARE_DIR, 'build', 'manifest.json'),
): Promise<FirmwarePlan> {
  let manifestPath = manifest;
  let built = false;
  if (!existsSync(manifestPath)) {
    // Loaded only when needed: it brings esbuild in.
    const { buildFirmware } = await import('../../../firmware/build');
    const r = await buildFirmware({ outDir: buildDir, conformance: false, log: () => {} });
    manifestPath = r.manifestPath;
    built = true;
  }
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const files: FirmwareFile[] = [];
  for (const f of m.files) {
    if (f.storageName === null) continue; // test-only bundles (conformance.js) never go to a board
    files.push({
      storageName: f.storageName,
      bytes: f.bytes,
      sha256: f.sha256,
      matches: sha256File(resolve(f.file)) === f.sha256,
      path: resolve(f.file),
    });
  }
  const blob = m.nativeBlob;
  if (blob !== undefined && blob.file !== null) {
    const sum = sha256File(resolve(blob.file));
    files.push({
      storageName: blob.storageName,
      bytes: blob.bytes,
      sha256: sum ?? '',
      matches: sum !== null,
      path: resolve(blob.file),
    });
  }
  return {
    manifestPath,
    built,
    files,
    storageLeft: m.budget === undefined ? null : m.budget.storageLeftForLogBytes,
  };
}

/**
 * The files to upload, in the order the installer needs: the loader (.bootcde) last, so that a board cut
 * off mid-install never boots a loader whose bundle is missing.
 */
export function uploadFiles(plan: FirmwarePlan): { name: string; bytes: Uint8Array }[] {
  const files = plan.files
    .filter((f) => f.matches)
    .map((f) => ({ name: f.storageName, bytes: new Uint8Array(readFileSync(f.path)) }));
  return files.filter((f) => f.name !== '.bootcde').concat(files.filter((f) => f.name === '.bootcde'));
}

/** What the installer did on a simulated board, in words. */
export function installReportLines(readerId: number, r: InstallReport, lang: Lang): string[] {
  const hash = r.hash === 'sha256' ? 'SHA-256' : 'CRC-32';
  return [
    tr(
      lang,
      'Lecteur n° ' +
        readerId +
        ' — micrologiciel installé sur la carte Espruino (' +
        r.board +
        ', ' +
        r.version +
        ', protocole par paquets) en ' +
        r.seconds.toFixed(1).replace('.', ',') +
        ' s, ' +
        r.wireBytes +
        ' octets envoyés :',
      'Reader #' +
        readerId +
        ' — firmware installed on the Espruino board (' +
        r.board +
        ', ' +
        r.version +
        ', packet protocol) in ' +
        r.seconds.toFixed(1) +
        ' s, ' +
        r.wireBytes +
        ' bytes sent:',
    ),
    '     ' +
      r.files
        .map((f) => f.name + ' ' + f.bytes + tr(lang, ' o ', ' B ') + tr(lang, 'vérifié ', 'checked ') + hash)
        .join(', '),
    tr(
      lang,
      '     (' +
        r.board +
        ' n’a pas de SHA-256 natif : empreinte E.CRC32 ; puis load() : le chargeur démarre carnet)',
      '     (' +
        r.board +
        ' has no native SHA-256: E.CRC32 fingerprint; then load(): the loader starts carnet)',
    ),
  ].slice(0, r.hash === 'sha256' ? 2 : 3);
}

/**
 * « Installation du micrologiciel » on a reader that gets no upload from the demo: a simulated reader on
 * the in-process pipe (no Espruino board behind it), or a real reader, which the volunteer installs with
 * `carnet lecteur installer` (in maintenance first) before the demo provisions it.
 */
export function firmwareInstallStep(
  plan: FirmwarePlan,
  readerId: number,
  port: string | null,
  lang: Lang,
): string[] {
  const lines = [
    tr(
      lang,
      'Lecteur n° ' + readerId + ' — micrologiciel (rien n’est envoyé sur cette liaison) :',
      'Reader #' + readerId + ' — firmware (nothing is sent on this link):',
    ),
  ];
  lines.push(
    '     ' +
      plan.files
        .map(
          (f) =>
            f.storageName +
            ' ' +
            f.bytes +
            tr(lang, ' o (', ' B (') +
            f.sha256.substring(0, 8) +
            '…' +
            (f.matches ? '' : tr(lang, ', DIFFÉRENT du manifeste', ', DIFFERS from the manifest')) +
            ')',
        )
        .join(', '),
  );
  if (plan.storageLeft !== null && plan.storageLeft < 0)
    lines.push(
      tr(
        lang,
        '     (attention : ' + -plan.storageLeft + ' octets de trop pour la mémoire Storage d’un Pico)',
        '     (warning: ' + -plan.storageLeft + ' bytes too many for a Pico’s Storage)',
      ),
    );
  if (port !== null)
    lines.push(
      tr(
        lang,
        '     (vrai lecteur sur ' +
          port +
          ' : installez-le avec « carnet lecteur installer --port ' +
          port +
          ' »)',
        '     (real reader on ' + port + ': install with "carnet reader install --port ' + port + '")',
      ),
    );
  return lines;
}
