// Time at human scale: the epoch shown as a calendar date, read from the URL or a date field, and a clock that runs it
// from real time to years a second.  The page's epoch is a Julian year of TT (JD 2451545.0 + 365.25 (year - 2000)),
// as the pack's and helios render's; dates are TT too (UTC differs by about 69 s in 2026), in the Gregorian calendar
// from 1582 October 15 and the Julian calendar before (Meeus, Astronomical Algorithms, chapter 7), years numbered as
// astronomers do (0 is 1 BC).

export const J2000 = 2451545.0;

/** The Julian date of a Julian year, and back. */
export const julianDate = (year) => J2000 + (year - 2000.0) * 365.25;
export const julianYear = (jd) => 2000.0 + (jd - J2000) / 365.25;

/** The Julian date of a calendar date (day may hold a fraction), Meeus 7.1. */
export function dateToJd(year, month, day) {
  let [y, m] = month <= 2 ? [year - 1, month + 12] : [year, month];
  const gregorian = year > 1582 || (year === 1582 && (month > 10 || (month === 10 && day >= 15)));
  const a = Math.floor(y / 100);
  const b = gregorian ? 2 - a + Math.floor(a / 4) : 0;
  return Math.floor(365.25 * (y + 4716)) + Math.floor(30.6001 * (m + 1)) + day + b - 1524.5;
}

/** The calendar date of a Julian date: {year, month, day (with its fraction)}, Meeus 7 (for JD >= 0). */
export function jdToDate(jd) {
  const z = Math.floor(jd + 0.5);
  const f = jd + 0.5 - z;
  let a = z;
  if (z >= 2299161) {
    const alpha = Math.floor((z - 1867216.25) / 36524.25);
    a = z + 1 + alpha - Math.floor(alpha / 4);
  }
  const b = a + 1524;
  const c = Math.floor((b - 122.1) / 365.25);
  const d = Math.floor(365.25 * c);
  const e = Math.floor((b - d) / 30.6001);
  const day = b - d - Math.floor(30.6001 * e) + f;
  const month = e < 14 ? e - 1 : e - 13;
  return { year: month > 2 ? c - 4716 : c - 4715, month, day };
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** "2026-12-06 18:30 TT" for a Julian year (to the minute; years outside 0-9999 as numbers, e.g. -2999). */
export function formatDate(year) {
  const jd = julianDate(year);
  if (jd < 0) return `Julian year ${year.toFixed(1)}`;
  const minutes = Math.round((jd + 0.5 - Math.floor(jd + 0.5)) * 1440);
  const { year: y, month, day } = jdToDate(Math.floor(jd + 0.5) - 0.5 + (minutes === 1440 ? 1 : 0));
  const m = minutes % 1440;
  return `${y >= 0 && y <= 9999 ? pad(y, 4) : y}-${pad(month)}-${pad(Math.floor(day))} ${pad(Math.floor(m / 60))}:${pad(m % 60)} TT`;
}

const DATE = /^(-?\d{1,6})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?(?: ?(?:TT|Z))?$/;

/** A Julian year from text: a number (a Julian year, as `epoch=2026.5`) or a calendar date, `2026-12-06`,
 * `2026-12-06T18:30`, `2026-12-06 18:30:15 TT`; null when it is neither. */
export function parseEpoch(text) {
  const trimmed = String(text).trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  const match = DATE.exec(trimmed);
  if (!match) return null;
  const [year, month, day, hours, minutes, seconds] = match.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const lastDay = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= lastDay && hours < 24 && minutes < 60 && seconds < 60)) return null;
  return julianYear(dateToJd(year, month, day + (hours + (minutes + seconds / 60) / 60) / 24));
}

/** The clock's speeds: days of the sky a second of the page. */
export const SPEEDS = [
  { label: "real time", days: 1 / 86400 }, { label: "1 minute/s", days: 1 / 1440 }, { label: "1 hour/s", days: 1 / 24 },
  { label: "1 day/s", days: 1 }, { label: "1 week/s", days: 7 }, { label: "1 month/s", days: 365.25 / 12 },
  { label: "1 year/s", days: 365.25 }, { label: "10 years/s", days: 3652.5 },
];

/** Play, pause, speed and direction; `advance` gives the epoch a frame later. */
export class Clock {
  constructor() {
    this.playing = false;
    this.speed = 3; // 1 day/s
    this.direction = 1;
  }

  get label() {
    return `${this.direction < 0 ? "backwards, " : ""}${SPEEDS[this.speed].label}`;
  }

  /** A step faster (+1) or slower (-1), within the speeds. */
  faster(step) {
    this.speed = Math.min(SPEEDS.length - 1, Math.max(0, this.speed + step));
  }

  /** The Julian year `seconds` of the page after `year` (the same when paused). */
  advance(year, seconds) {
    return this.playing ? year + (this.direction * SPEEDS[this.speed].days * seconds) / 365.25 : year;
  }
}
