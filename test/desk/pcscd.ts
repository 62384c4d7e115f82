// Test support: a running pcscd with vsmartcard's vpcd driver. Starts `pcscd --foreground` (root, no
// systemd) unless one already answers, waits for its socket, and stops it by PID afterwards. Missing
// packages are a FAILURE with the apt-get line to run, never a skip (CI installs them: .ci/run).

import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const PCSCD_PID_FILE = '/run/pcscd/pcscd.pid';
const VPCD_CONF = '/etc/reader.conf.d/vpcd';
const PCSCD_CANDIDATES = ['/usr/sbin/pcscd', '/usr/bin/pcscd', '/sbin/pcscd'];
/** pcscd needs well under a second to open its socket; 10 s allows a loaded 2-core CI machine. */
const START_TIMEOUT_MS = 10_000;
export const VPCD_READER = 'Virtual PCD 00 00';

export const MISSING =
  'pcscd et vsmartcard-vpcd sont requis pour ces tests : sudo apt-get install pcscd libpcsclite-dev vsmartcard-vpcd';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface PcscdHandle {
  /** Our child, or null when an already-running pcscd is reused (then we never stop it). */
  child: ChildProcess | null;
  stop(): Promise<void>;
}

export async function startPcscd(): Promise<PcscdHandle> {
  const bin = PCSCD_CANDIDATES.find((p) => existsSync(p));
  if (bin === undefined || !existsSync(VPCD_CONF)) throw new Error(MISSING);
  if (existsSync(PCSCD_SOCKET) && existsSync(PCSCD_PID_FILE)) {
    const pid = parseInt(readFileSync(PCSCD_PID_FILE, 'latin1'), 10);
    if (pid > 0 && alive(pid)) {
      console.log('pcscd already running (pid ' + pid + '): reused, left running');
      return { child: null, stop: async () => {} };
    }
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('pcscd doit être lancé en root pour ces tests (ou lancez-le avant : sudo pcscd)');
  }
  const child = spawn(bin, ['--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const t0 = Date.now();
  // A pcscd killed earlier can leave a stale socket: wait for OUR pcscd's pid file as well.
  const ours = (): boolean => {
    try {
      // pcscd pads its pid file (NUL bytes after the number): compare the number only.
      return existsSync(PCSCD_SOCKET) && parseInt(readFileSync(PCSCD_PID_FILE, 'latin1'), 10) === child.pid;
    } catch {
      return false;
    }
  };
  while (!ours()) {
    if (child.exitCode !== null) throw new Error('pcscd s’est arrêté au démarrage : ' + stderr.slice(0, 400));
    if (Date.now() - t0 > START_TIMEOUT_MS) {
      child.kill('SIGTERM');
      const pidText = existsSync(PCSCD_PID_FILE)
        ? String(parseInt(readFileSync(PCSCD_PID_FILE, 'latin1'), 10))
        : 'absent';
      throw new Error(
        'pcscd (pid ' +
          child.pid +
          ') ne crée pas ' +
          PCSCD_SOCKET +
          ' (pid écrit : ' +
          pidText +
          ') : ' +
          stderr.slice(0, 400),
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  console.log('pcscd started (pid ' + child.pid + ') in ' + (Date.now() - t0) + ' ms');
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM'); // by PID: only the pcscd this run started
      }),
  };
}
