// How the laptop reaches each reader of the market day: a socat pty pair (host/src/link/pty-rig.ts) when
// socat is installed, else an in-process byte pipe, to a simulated reader (host/src/link/sim-reader-end.ts:
// the firmware code in Node, clocked by real time); or a real serial port with a real reader on it. The
// host side is the same in every case: serialport (or the pipe) under host/src/link/transport.ts.

import { spawnSync } from 'node:child_process';
import { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { PROBE_ACK_TIMEOUT_MS, SERIAL_BAUD } from '../../../host/src/commands/lecteur';
import { PtyRig } from '../../../host/src/link/pty-rig';
import { ReaderClient } from '../../../host/src/link/reader-client';
import { NO_FAULTS, SimReaderEnd, bigReaderSim } from '../../../host/src/link/sim-reader-end';
import { LinkTransport } from '../../../host/src/link/transport';
import { InfoMessage } from '../../../protocol/src/messages';
import { ReaderSim } from '../../sim/reader-sim';
import { BoardFile, BoardPtyRig, EspruinoBoard } from '../../sim/espruino-board';
import {
  BOARD_PACKET_TIMEOUT_MS,
  DEFAULT_TIMEOUTS,
  InstallReport,
  installFirmware,
} from '../../../host/src/link/espruino-packet';
import { REPL_TIMEOUT_MS } from '../../../host/src/link/espruino-upload';

/**
 * Longest the search for a real reader may take: the demo must start at once on a laptop with no reader
 * (a USB CDC reader answers HELLO in milliseconds; `lecteur liste` gives each port 250 ms and one retry).
 */
export const DETECT_BUDGET_MS = 2000;

export type LinkKind = 'pty' | 'memoire' | 'port';

export interface Session {
  client: ReaderClient;
  close(): Promise<void>;
}

export interface ReaderLink {
  kind: LinkKind;
  /** Host-side path of the serial port (pty or real), null for the in-process pipe. */
  path: string | null;
  /** The simulated reader, null for real hardware (its keypad and card field are not ours to press). */
  sim: ReaderSim | null;
  end: SimReaderEnd | null;
  /** The firmware upload made on this link before provisioning (simulated boards only), else null. */
  installed: InstallReport | null;
  /** Opens the link for one job (provisioning, a pull), as `carnet lecteur …` does each time. */
  open(): Promise<Session>;
  stop(): Promise<void>;
}

/**
 * Links not stopped yet: an interrupted demo (Ctrl-C, output closed) stops them on its way out, so no
 * socat process outlives it.
 */
const live = new Set<ReaderLink>();

function tracked(l: ReaderLink): ReaderLink {
  live.add(l);
  const stop = l.stop;
  l.stop = async () => {
    live.delete(l);
    await stop();
  };
  return l;
}

/** Stops every link still running (socat killed by PID through PtyRig.stop, timers cleared). */
export async function stopAllLinks(): Promise<void> {
  for (const l of [...live]) await l.stop().catch(() => {});
}

export function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.status === 0;
}

async function openSerial(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: SERIAL_BAUD, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  port.on('error', () => {});
  return port;
}

async function closeSerial(port: SerialPort): Promise<void> {
  if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
}

async function serialSession(path: string): Promise<Session> {
  const port = await openSerial(path);
  const link = new LinkTransport(port);
  return {
    client: new ReaderClient(link),
    async close() {
      link.close();
      await closeSerial(port);
    },
  };
}

/** A simulated reader behind a socat pty pair: the host opens the pty like any /dev/ttyACM0. */
export async function ptyReader(label: string, now: number): Promise<ReaderLink> {
  const sim = bigReaderSim(label, now);
  const rig = new PtyRig(sim, NO_FAULTS);
  // Tracked before socat starts: an interruption during the start still stops it.
  const link = tracked({
    kind: 'pty',
    path: rig.hostPath,
    sim,
    end: null,
    installed: null,
    open: () => serialSession(rig.hostPath),
    stop: () => rig.stop(),
  });
  await rig.start();
  link.end = rig.end;
  return link;
}

/**
 * The Espruino board the firmware is installed on, simulated (test/sim/espruino-board.ts): the board
 * starts blank, in Espruino's REPL, behind a socat pty. The laptop installs the firmware files with the
 * installer of `carnet lecteur installer` (host/src/link/espruino-packet.ts: packet protocol, resumable,
 * each file checked by hash on the board, then `load()`); the board's loader then starts the carnet
 * firmware (the simulator runs its source in Node) and the same pty carries the protocol. The board is a
 * Jolt.js: of the boards in ../shared/espruino/FACTS.md it is the only one whose Storage (400 KB) holds
 * today's bundle; it has no native SHA-256, so the installer checks each file with E.CRC32 and says so.
 */
export async function boardReader(label: string, now: number, files: BoardFile[]): Promise<ReaderLink> {
  const sim = bigReaderSim(label, now);
  const board = new EspruinoBoard({
    version: '2v29',
    board: 'JOLTJS',
    crypto: false,
    packetTimeoutMs: BOARD_PACKET_TIMEOUT_MS,
    built: files,
    makeReader: () => sim,
  });
  const rig = new BoardPtyRig(board);
  const link = tracked({
    kind: 'pty',
    path: rig.hostPath,
    sim,
    end: null,
    installed: null,
    open: () => serialSession(rig.hostPath),
    stop: () => rig.stop(),
  });
  await rig.start();
  const port = await openSerial(rig.hostPath);
  try {
    link.installed = await installFirmware(port, files, () => {}, {
      timeouts: DEFAULT_TIMEOUTS,
      replTimeoutMs: REPL_TIMEOUT_MS,
      reboot: true,
    });
  } finally {
    await closeSerial(port);
  }
  // load() reboots the board: its loader checks the bundle and hands the port to the carnet firmware.
  const deadline = Date.now() + 5000;
  while (board.reader === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (board.reader === null) throw new Error('le lecteur ' + label + ' n’a pas démarré après installation');
  link.end = board.reader;
  return link;
}

/**
 * A simulated reader on an in-process pipe (no socat): bytes cross on the next turn of the event loop,
 * each way, so neither side is re-entered from inside its own write, as over a real wire.
 */
export function memoryReader(label: string, now: number): ReaderLink {
  const sim = bigReaderSim(label, now);
  let hostSide: Duplex | null = null;
  const end = new SimReaderEnd(
    sim,
    (b) => {
      const copy = Buffer.from(b);
      setImmediate(() => hostSide?.push(copy));
    },
    NO_FAULTS,
  );
  return tracked({
    kind: 'memoire',
    path: null,
    sim,
    end,
    installed: null,
    async open() {
      const d = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, done) {
          const copy = new Uint8Array(chunk);
          setImmediate(() => end.fromHost(copy));
          done();
        },
      });
      hostSide = d;
      const link = new LinkTransport(d);
      return {
        client: new ReaderClient(link),
        async close() {
          link.close();
          if (hostSide === d) hostSide = null;
          d.destroy();
        },
      };
    },
    async stop() {
      end.stop();
    },
  });
}

/** A real reader on a serial port (or anything answering as one, e.g. a simulated reader's pty). */
export function portReader(path: string): ReaderLink {
  return {
    kind: 'port',
    path,
    sim: null,
    end: null,
    installed: null,
    async open() {
      try {
        return await serialSession(path);
      } catch (e) {
        throw new Error('port ' + path + ' inaccessible : ' + (e instanceof Error ? e.message : String(e)), {
          cause: e,
        });
      }
    },
    async stop() {},
  };
}

/** HELLO on one port with the short timeouts of `carnet lecteur liste`; null if it is not a carnet reader. */
export async function probe(path: string): Promise<InfoMessage | null> {
  let port: SerialPort;
  try {
    port = await openSerial(path);
  } catch {
    return null;
  }
  const link = new LinkTransport(port, {
    ackTimeoutMs: PROBE_ACK_TIMEOUT_MS,
    maxRetries: 1,
    responseTimeoutMs: 500,
  });
  try {
    return await new ReaderClient(link).hello();
  } catch {
    return null;
  } finally {
    link.close();
    await closeSerial(port);
  }
}

/**
 * The first serial port answering as a carnet reader, found the way `carnet lecteur liste` finds them
 * (every port listed, HELLO on each, here all at once), within DETECT_BUDGET_MS; null when none answers.
 * Never throws: the demo then runs on simulated readers only.
 */
export async function detectReader(): Promise<{ path: string; info: InfoMessage } | null> {
  const search = (async () => {
    let paths: string[];
    try {
      paths = (await SerialPort.list()).map((p) => p.path);
    } catch {
      return null;
    }
    const answers = await Promise.all(paths.map(async (p) => ({ path: p, info: await probe(p) })));
    for (const a of answers) if (a.info !== null) return { path: a.path, info: a.info };
    return null;
  })();
  let timer: NodeJS.Timeout | null = null;
  const late = new Promise<null>((r) => {
    timer = setTimeout(() => r(null), DETECT_BUDGET_MS);
  });
  try {
    return await Promise.race([search, late]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}
