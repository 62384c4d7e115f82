// Every supported board, by id (the pinout test checks each against hardware/pinout.csv).
import { Board } from './board';
import { PICO } from './pico';
import { WIFI } from './wifi';
import { JOLTJS } from './joltjs';

export const BOARDS: Board[] = [PICO, WIFI, JOLTJS];

export function boardById(id: string): Board | null {
  for (let i = 0; i < BOARDS.length; i++) if (BOARDS[i].id === id) return BOARDS[i];
  return null;
}
