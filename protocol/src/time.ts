// Local days and month indexes (SPEC.md, Conventions). Pure integer arithmetic, Espruino subset.

const SECONDS_PER_DAY = 86400;

/** Days since 1970-01-01 of the local date of `t` (seconds, UTC) at a fixed offset in minutes. */
export function localDay(t: number, utcOffsetMin: number): number {
  return Math.floor((t + 60 * utcOffsetMin) / SECONDS_PER_DAY);
}

/**
 * Civil date of a day count since 1970-01-01, proleptic Gregorian calendar.
 * Works in 400-year eras of 146097 days (the Gregorian cycle), the classic era/day-of-era method.
 */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468; // shift the epoch to 0000-03-01 so that leap days end each year
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097; // [0, 146096]
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // [0, 365]
  const mp = Math.floor((5 * doy + 2) / 153); // month from March = 0
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year: year, month: month, day: day };
}

/** Day count since 1970-01-01 of a civil date (inverse of civilFromDays). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Month index (months since January 1970) of a civil year and month (1..12). */
export function monthIndex(year: number, month: number): number {
  return 12 * (year - 1970) + (month - 1);
}

/** Month index of the local date of `t`. */
export function monthOfTime(t: number, utcOffsetMin: number): number {
  const c = civilFromDays(localDay(t, utcOffsetMin));
  return monthIndex(c.year, c.month);
}

/** "AAAA-MM" label of a month index, as people and CLI flags write it. */
export function monthLabel(m: number): string {
  const year = 1970 + Math.floor(m / 12);
  const month = m - 12 * (year - 1970) + 1;
  return year + '-' + (month < 10 ? '0' : '') + month;
}

/** Parses "AAAA-MM"; null when malformed. */
export function parseMonthLabel(s: string): number | null {
  if (s.length !== 7 || s.charAt(4) !== '-') return null;
  const y = parseInt(s.substring(0, 4), 10);
  const mo = parseInt(s.substring(5, 7), 10);
  if (!(y >= 1970 && y <= 2105) || !(mo >= 1 && mo <= 12)) return null;
  if (String(y) !== s.substring(0, 4)) return null;
  return monthIndex(y, mo);
}

/** First second (UTC) of a month index in local time at a fixed offset. */
export function monthStartTime(m: number, utcOffsetMin: number): number {
  const year = 1970 + Math.floor(m / 12);
  const month = m - 12 * (year - 1970) + 1;
  return daysFromCivil(year, month, 1) * SECONDS_PER_DAY - 60 * utcOffsetMin;
}
