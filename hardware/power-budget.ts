// Power budget of one reader for a 6-hour market with 200 sales and 200 receipts (issue 8, "Must show").
// `npx tsx hardware/power-budget.ts` prints the arithmetic that hardware/README.md quotes; the test
// (power-budget.test.ts) checks the README against it and the margin against the battery.
//
// Every figure says where it comes from. DATASHEET: a published figure (source given). BENCH: measured by
// `npm run bench:tap` on the virtual PN532/NTAG model. COUNTED: computed from the firmware's own bytes.
// ESTIMATE: an engineering guess, deliberately on the high side, to be replaced by a measurement.
import { formatReceipt } from '../firmware/src/drivers/escpos/receipt';
import { ESC, GS, LF } from '../firmware/src/drivers/escpos/escpos';

export const MARKET_HOURS = 6;
export const SALES = 200;
export const RECEIPTS = 200;
/** One Z report at day close and one self-test page at set-up, printed on top of the receipts. */
export const EXTRA_PRINTS = 2;

// ---- 3.3 V side (Pico regulator), fed from the 5 V step-down --------------------------------------
/** ESTIMATE: Pico busy (100 ms tick, keypad scan, USB): STM32F401 run mode at 84 MHz ~20 mA + margin. */
export const PICO_MA = 30;
/** ESTIMATE (worst case used for sizing): PN532 with its RF field on all day; vendors quote 100-150 mA. */
export const PN532_FIELD_ON_MA = 150;
/** ESTIMATE: SSD1306 0.96" showing text (a full white screen is about 25 mA). */
export const OLED_MA = 20;
/** DATASHEET (Espruino Pico page): on-board 3.3 V regulator, "~200 mA continuous". */
export const PICO_REGULATOR_MA = 200;
/** ESTIMATE: MP1584-class step-down efficiency at 0.2 A out. */
export const BUCK_EFFICIENCY = 0.85;
/** The Pico's regulator is linear: 5 V in, the same current out at 3.3 V. */
export const BUCK_OUT_V = 5.0;

// ---- the tap (BENCH) ----------------------------------------------------------------------------------
/** BENCH: card in the field for one sale, first tap, EEPROM programming 5 ms/page (npm run bench:tap). */
export const TAP_MS = 386.5;

// ---- buzzer -----------------------------------------------------------------------------------------
/** ESTIMATE: two 150 ms beeps per sale at 30 mA (passive buzzer, 50 % PWM through 100 ohm). */
export const BEEP_MS_PER_SALE = 300;
export const BUZZER_MA = 30;

// ---- printer, straight on the 2S pack -----------------------------------------------------------------
/** 2S Li-ion: 7.4 V nominal (6.0 V empty under load, 8.4 V full). */
export const PACK_V = 7.4;
/** 2 x 18650 3000 mAh in series. */
export const PACK_MAH = 3000;
/** Usable share of the nominal energy: BMS cut-off, cold morning, cells a few hundred cycles old. */
export const PACK_USABLE = 0.8;
/** ESTIMATE: printer idle, motor off, head cold (CSN-A2 class panel printers). */
export const PRINTER_IDLE_MA = 60;
/**
 * DATASHEET: thermal head peak current. Seiko LTP1245 (2-inch, 384 dots): Ip 2.6 A typical at Vp 8.5 V
 * with 64 dots on at once (manual, table 3-8 "Thermal Head Electrical Characteristics"); Seiko LTP02-245:
 * 2.23 A max at 45 dots, Vp 5.5-8 V (manual table 3-10). Cheap panel printers strobe 64 dots by default
 * (the "max heating dots" setting), hence 2.6 A for sizing the supply and the wiring.
 */
export const HEAD_PEAK_A = 2.6;
/** ESTIMATE: paper-feed motor while printing. */
export const MOTOR_A = 0.3;
/**
 * ESTIMATE used for energy: average current while paper moves for text (about 10-15 % black dots, the
 * head time-sliced): taken at 2.0 A, well above a typical 1-1.5 A, below the 2.6 A + motor peak.
 */
export const PRINT_AVG_A = 2.0;
/** ESTIMATE: paper speed 50 mm/s, the low end quoted for 58 mm panel printers at 7-9 V. */
export const PAPER_MM_PER_S = 50;
/** 203 dpi heads: 8 dots per mm; font A is 24 dots high with the default 30-dot line pitch (ESC 2). */
export const DOTS_PER_MM = 8;
export const LINE_PITCH_DOTS = 30;

/** COUNTED: line pitches a receipt uses, from the real ESC/POS bytes (LF, ESC d n, double height GS !). */
export function linePitches(bytes: Uint8Array): number {
  let n = 0;
  let height = 1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === LF) n += height;
    else if (b === ESC && bytes[i + 1] === 0x64) {
      n += bytes[i + 2];
      i += 2;
    } else if (b === ESC && bytes[i + 1] === 0x40) i += 1;
    else if (b === ESC)
      i += 2; // ESC E n, ESC a n, ESC t n
    else if (b === GS && bytes[i + 1] === 0x21) {
      height = (bytes[i + 2] & 7) + 1;
      i += 2;
    } else if (b === GS) i += 2; // GS V n (cut)
  }
  return n;
}

export function sampleReceiptPitches(): number {
  return linePitches(
    formatReceipt({
      vendor: 'Épicerie du marché',
      time: 1795000000,
      utcOffsetMin: 60,
      amount: 1250,
      category: 'Fruits et légumes',
      covered: 1000,
      toPay: 250,
      balance: 4000,
      readerId: 'L-0042',
      logSeq: 123,
      refund: false,
      duplicate: false,
    }),
  );
}

export interface Budget {
  lines: string[];
  receiptPitches: number;
  receiptSeconds: number;
  regulatorMa: number;
  electronicsWh: number;
  tapMah: number;
  buzzerWh: number;
  printerIdleWh: number;
  printingWh: number;
  totalWh: number;
  totalMahAtPack: number;
  packWh: number;
  usableWh: number;
  margin: number;
  peakA: number;
}

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

export function powerBudget(): Budget {
  const L: string[] = [];
  const pitches = sampleReceiptPitches();
  const mm = (pitches * LINE_PITCH_DOTS) / DOTS_PER_MM;
  const receiptSeconds = mm / PAPER_MM_PER_S;
  const regulatorMa = PICO_MA + PN532_FIELD_ON_MA + OLED_MA;
  const electronicsW = (regulatorMa / 1000) * BUCK_OUT_V;
  const electronicsWh = (electronicsW * MARKET_HOURS) / BUCK_EFFICIENCY;
  const tapMah = (SALES * TAP_MS * PN532_FIELD_ON_MA) / 3600 / 1000;
  const buzzerWh =
    (((SALES * BEEP_MS_PER_SALE) / 1000 / 3600) * (BUZZER_MA / 1000) * BUCK_OUT_V) / BUCK_EFFICIENCY;
  const printerIdleWh = (PRINTER_IDLE_MA / 1000) * PACK_V * MARKET_HOURS;
  const prints = RECEIPTS + EXTRA_PRINTS;
  const printingWh = (prints * receiptSeconds * PRINT_AVG_A * PACK_V) / 3600;
  const totalWh = electronicsWh + buzzerWh + printerIdleWh + printingWh;
  const packWh = (PACK_V * PACK_MAH) / 1000;
  const usableWh = packWh * PACK_USABLE;
  const peakA = HEAD_PEAK_A + MOTOR_A + electronicsW / BUCK_EFFICIENCY / PACK_V;
  L.push(
    'Budget for ' +
      MARKET_HOURS +
      ' h, ' +
      SALES +
      ' sales, ' +
      RECEIPTS +
      ' receipts (+' +
      EXTRA_PRINTS +
      ' prints)',
  );
  L.push(
    'receipt: ' +
      pitches +
      ' line pitches x ' +
      LINE_PITCH_DOTS +
      ' dots / ' +
      DOTS_PER_MM +
      ' dots/mm = ' +
      f1(mm) +
      ' mm; at ' +
      PAPER_MM_PER_S +
      ' mm/s = ' +
      f2(receiptSeconds) +
      ' s',
  );
  L.push(
    '3.3 V rail: Pico ' +
      PICO_MA +
      ' + PN532 field on ' +
      PN532_FIELD_ON_MA +
      ' + OLED ' +
      OLED_MA +
      ' = ' +
      regulatorMa +
      ' mA (regulator: ' +
      PICO_REGULATOR_MA +
      ' mA continuous)',
  );
  L.push(
    'electronics: ' +
      regulatorMa +
      ' mA x ' +
      BUCK_OUT_V +
      ' V = ' +
      f2(electronicsW) +
      ' W; x ' +
      MARKET_HOURS +
      ' h / ' +
      BUCK_EFFICIENCY +
      ' = ' +
      f2(electronicsWh) +
      ' Wh',
  );
  L.push(
    'taps: ' +
      SALES +
      ' x ' +
      TAP_MS +
      ' ms x ' +
      PN532_FIELD_ON_MA +
      ' mA = ' +
      f1(tapMah) +
      ' mAh (already inside the field-on figure above)',
  );
  L.push(
    'buzzer: ' +
      SALES +
      ' x ' +
      BEEP_MS_PER_SALE +
      ' ms x ' +
      BUZZER_MA +
      ' mA at 5 V = ' +
      buzzerWh.toFixed(3) +
      ' Wh',
  );
  L.push(
    'printer idle: ' +
      PRINTER_IDLE_MA +
      ' mA x ' +
      PACK_V +
      ' V x ' +
      MARKET_HOURS +
      ' h = ' +
      f2(printerIdleWh) +
      ' Wh',
  );
  L.push(
    'printing: ' +
      prints +
      ' x ' +
      f2(receiptSeconds) +
      ' s x ' +
      PRINT_AVG_A +
      ' A x ' +
      PACK_V +
      ' V = ' +
      f2(printingWh) +
      ' Wh',
  );
  L.push(
    'TOTAL: ' + f2(totalWh) + ' Wh = ' + Math.round((totalWh / PACK_V) * 1000) + ' mAh at ' + PACK_V + ' V',
  );
  L.push(
    'pack: 2S ' +
      PACK_MAH +
      ' mAh x ' +
      PACK_V +
      ' V = ' +
      f1(packWh) +
      ' Wh; usable x ' +
      PACK_USABLE +
      ' = ' +
      f2(usableWh) +
      ' Wh; margin ' +
      f2(usableWh / totalWh) +
      'x',
  );
  L.push(
    'peak current from the pack: head ' +
      HEAD_PEAK_A +
      ' A + motor ' +
      MOTOR_A +
      ' A + electronics ' +
      f2(electronicsW / BUCK_EFFICIENCY / PACK_V) +
      ' A = ' +
      f2(peakA) +
      ' A',
  );
  return {
    lines: L,
    receiptPitches: pitches,
    receiptSeconds: receiptSeconds,
    regulatorMa: regulatorMa,
    electronicsWh: electronicsWh,
    tapMah: tapMah,
    buzzerWh: buzzerWh,
    printerIdleWh: printerIdleWh,
    printingWh: printingWh,
    totalWh: totalWh,
    totalMahAtPack: (totalWh / PACK_V) * 1000,
    packWh: packWh,
    usableWh: usableWh,
    margin: usableWh / totalWh,
    peakA: peakA,
  };
}

if (process.argv[1] !== undefined && process.argv[1].endsWith('power-budget.ts')) {
  for (const l of powerBudget().lines) console.log(l);
}
