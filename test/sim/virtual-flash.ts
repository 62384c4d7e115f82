// A FlashStore with the semantics of firmware/src/hal/devices.ts and Espruino Storage: files are created
// erased (0xFF), a write can only clear bits (new = old AND data), and a power cut can be injected after
// any number of bytes written: the byte budget runs out part-way through a write, the bytes before the cut
// are programmed, and the call throws POWER_CUT (the CPU stops: nothing after it runs).

import { FlashStore } from '../../firmware/src/hal/devices';

export const POWER_CUT = 'POWER_CUT';

export interface PowerCut {
  code: string;
}

export function isPowerCut(e: unknown): boolean {
  return e !== null && typeof e === 'object' && (e as PowerCut).code === POWER_CUT;
}

export class VirtualFlash implements FlashStore {
  files: { [name: string]: Uint8Array } = {};
  capacity: number;
  /** Bytes that may still be written before the power fails; -1 = never. */
  cutAfter = -1;
  /** Total bytes written since creation (to enumerate cut points). */
  bytesWritten = 0;
  writes = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  clone(): VirtualFlash {
    const f = new VirtualFlash(this.capacity);
    for (const k of Object.keys(this.files)) f.files[k] = new Uint8Array(this.files[k]);
    return f;
  }

  private used(except: string): number {
    let n = 0;
    for (const k of Object.keys(this.files)) if (k !== except) n += this.files[k].length;
    return n;
  }

  private checkPower(): void {
    if (this.cutAfter === 0) throw { code: POWER_CUT };
  }

  create(name: string, size: number): boolean {
    this.checkPower();
    if (size <= 0 || this.used(name) + size > this.capacity) return false;
    this.files[name] = new Uint8Array(size).fill(0xff);
    return true;
  }

  write(name: string, offset: number, data: Uint8Array): boolean {
    this.checkPower();
    const f = this.files[name];
    if (f === undefined || offset < 0 || offset + data.length > f.length) return false;
    this.writes++;
    for (let i = 0; i < data.length; i++) {
      if (this.cutAfter === 0) throw { code: POWER_CUT };
      f[offset + i] &= data[i];
      this.bytesWritten++;
      if (this.cutAfter > 0) this.cutAfter--;
    }
    return true;
  }

  read(name: string, offset: number, length: number): Uint8Array | null {
    const f = this.files[name];
    if (f === undefined || offset < 0 || length < 0 || offset + length > f.length) return null;
    return new Uint8Array(f.subarray(offset, offset + length));
  }

  size(name: string): number {
    const f = this.files[name];
    return f === undefined ? -1 : f.length;
  }

  erase(name: string): void {
    this.checkPower();
    delete this.files[name];
  }

  list(): string[] {
    return Object.keys(this.files);
  }

  free(): number {
    return this.capacity - this.used('');
  }
}
