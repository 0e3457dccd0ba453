// Unit tests of clock.js: calendar dates both ways (Meeus's worked examples), the URL's epoch, the clock's steps.
import assert from "node:assert/strict";
import test from "node:test";

import { Clock, SPEEDS, dateToJd, formatDate, jdToDate, julianDate, julianYear, parseEpoch } from "../src/clock.js";

test("calendar dates are Meeus's Julian dates", () => {
  // Astronomical Algorithms, chapter 7: examples 7.a, 7.b and the table after them.
  assert.equal(dateToJd(1957, 10, 4.81), 2436116.31);
  assert.equal(dateToJd(333, 1, 27.5), 1842713.0);
  assert.equal(dateToJd(2000, 1, 1.5), 2451545.0);
  assert.equal(dateToJd(1582, 10, 15), 2299160.5); // the first Gregorian day, the day after Julian 1582 October 4
  assert.equal(dateToJd(1582, 10, 4), 2299159.5);
  assert.equal(dateToJd(-1000, 7, 12.5), 1356001.0);
  assert.equal(dateToJd(-4712, 1, 1.5), 0.0);
  const back = jdToDate(2436116.31);
  assert.deepEqual([back.year, back.month], [1957, 10]);
  assert.ok(Math.abs(back.day - 4.81) < 1e-6);
  assert.deepEqual(jdToDate(1842713.0), { year: 333, month: 1, day: 27.5 });
  for (let jd = 0.5; jd < 2.6e6; jd += 12345.678) {
    const { year, month, day } = jdToDate(jd);
    assert.ok(Math.abs(dateToJd(year, month, day) - jd) < 1e-6, `${jd}`);
  }
});

test("the URL's epoch is a Julian year or a date of TT", () => {
  assert.equal(parseEpoch("2026.5"), 2026.5);
  assert.equal(parseEpoch("-2999"), -2999);
  assert.equal(parseEpoch("2000-01-01T12:00"), 2000.0);
  assert.ok(Math.abs(julianDate(parseEpoch("2026-12-06 18:30 TT")) - (dateToJd(2026, 12, 6) + 18.5 / 24)) < 1e-8);
  assert.ok(Math.abs(julianDate(parseEpoch("2026-12-06T18:30:15Z")) - (dateToJd(2026, 12, 6) + (18.5 + 15 / 3600) / 24)) < 1e-8);
  for (const bad of ["2026-13-01", "2026-02-30", "2026-12-06T25:00", "yesterday", "2026/12/06", ""]) assert.equal(parseEpoch(bad), null, bad);
});

test("a date is shown to the minute and read back", () => {
  assert.equal(formatDate(2000.0), "2000-01-01 12:00 TT");
  assert.equal(formatDate(julianYear(dateToJd(2026, 12, 6) + 23.999 / 24)), "2026-12-07 00:00 TT");
  const year = parseEpoch("1991-04-02 06:07");
  assert.equal(formatDate(year), "1991-04-02 06:07 TT");
  assert.equal(parseEpoch(formatDate(year)), year);
});

test("the clock runs at its speed, both ways, and stops when paused", () => {
  const clock = new Clock();
  assert.equal(clock.advance(2026, 10), 2026); // paused
  clock.playing = true;
  assert.equal(SPEEDS[clock.speed].label, "1 day/s");
  assert.ok(Math.abs(clock.advance(2026, 365.25) - 2027) < 1e-12);
  clock.faster(10);
  assert.equal(clock.label, "10 years/s");
  clock.direction = -1;
  assert.ok(Math.abs(clock.advance(2026, 1) - 2016) < 1e-12);
  clock.faster(-100);
  assert.equal(clock.label, "backwards, real time");
  assert.ok(Math.abs((clock.advance(2026, 86400) - 2026) * 365.25 + 1) < 1e-9);
});
