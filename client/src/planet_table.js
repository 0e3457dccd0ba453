// DE421's planets (the site's planets_de421.bin, helios/planet_table.py): each planet's heliocentric place and velocity
// sampled every 1 to 64 days from 1899 to 2053, a cubic Hermite interpolant between two samples (within 50 km).  Inside that span
// the page draws the planets there (as helios render does, from DE421 itself); outside it, from Standish's elements.

export const MAGIC = "HELIOSPL";
export const FORMAT = "helios-planet-table";

export class PlanetTable {
  /** `bytes`: the whole file. */
  constructor(bytes, url = "planets_de421.bin") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = new TextDecoder("latin1").decode(bytes.subarray(0, 8));
    if (magic !== MAGIC || view.getUint32(8, true) !== 1) throw new Error(`${url}: not a HELIOS planet table of version 1`);
    const length = view.getUint32(12, true);
    this.directory = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
    if (this.directory.format !== FORMAT) throw new Error(`${url}: not a HELIOS planet table`);
    const start = bytes.byteOffset + 16 + length;
    const buffer = start % 8 === 0 ? bytes.buffer : bytes.slice(16 + length).buffer;
    const base = start % 8 === 0 ? start : 0;
    this.planets = new Map(this.directory.planets.map((p) => [p.name, { step: p.step_days, count: p.count,
      samples: new Float64Array(buffer, base + p.offset, p.count * 6) }]));
    this.first = this.directory.first_jd;
    this.last = this.directory.last_jd;
  }

  /** Whether Julian date `jd` (TT) lies within the samples. */
  covers(jd) {
    return jd >= this.first && jd <= this.last;
  }

  /** `planet`'s place at Julian date `jd` (TT): ICRS, au from the Sun. */
  place(planet, jd) {
    return this.state(planet, jd)[0];
  }

  /** `planet`'s place (au) and velocity (au a day) at Julian date `jd`: the interpolant and its derivative. */
  state(planet, jd) {
    const { step, count, samples } = this.planets.get(planet);
    const x = (jd - this.first) / step;
    const k = Math.min(Math.max(Math.floor(x), 0), count - 2);
    const t = x - k;
    const h = [2 * t ** 3 - 3 * t ** 2 + 1, t ** 3 - 2 * t ** 2 + t, -2 * t ** 3 + 3 * t ** 2, t ** 3 - t ** 2];
    const d = [6 * t ** 2 - 6 * t, 3 * t ** 2 - 4 * t + 1, -6 * t ** 2 + 6 * t, 3 * t ** 2 - 2 * t]; // d h / d t
    const at = (i, j) => samples[6 * i + j];
    const mix = (w) => [0, 1, 2].map((j) => w[0] * at(k, j) + w[1] * step * at(k, j + 3) + w[2] * at(k + 1, j) + w[3] * step * at(k + 1, j + 3));
    return [mix(h), mix(d).map((v) => v / step)];
  }
}
