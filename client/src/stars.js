// Stars by name and number: the site's star_names.json (helios/star_names.py: d3-celestial's names and designations
// by HIP number, each named star's cell and row, and every HIP number's) searched as people write them (Betelgeuse,
// alpha Ori, α Ori, 58 Ori, HIP 27989, HD 39801), and a catalogue id as people read it.

export const NAMES_FORMAT = "helios-star-names";

const GREEK = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", zeta: "ζ", eta: "η", theta: "θ", iota: "ι", kappa: "κ",
  lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", omicron: "ο", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", upsilon: "υ", phi: "φ",
  chi: "χ", psi: "ψ", omega: "ω",
};
// The three-letter forms of catalogues (alf Ori, tet Ori, ksi Pup).
const ABBREVIATED = {
  alf: "α", bet: "β", gam: "γ", del: "δ", eps: "ε", zet: "ζ", tet: "θ", iot: "ι", kap: "κ", lam: "λ", ksi: "ξ", omi: "ο",
  rho: "ρ", sig: "σ", tau: "τ", ups: "υ", phi: "φ", chi: "χ", psi: "ψ", ome: "ω",
};
/** Gaia DR3 source_ids (19 digits) and HIP numbers (1-120416) are told apart by their size (helios/star_ids.py). */
const HIP_MAX = 120416;

/** Check a star_names.json document (the fields the client reads); the document, or an Error naming what is wrong. */
export function checkNames(document, url) {
  const fail = (message) => { throw new Error(`${url}: ${message}`); };
  if (!document || document.format !== NAMES_FORMAT || document.version !== 1) fail(`not a HELIOS star names file (format ${JSON.stringify(document && document.format)})`);
  if (!Array.isArray(document.cells) || !Array.isArray(document.stars) || !Array.isArray(document.hip) || document.hip.length % 3) {
    fail("cells, stars and hip must be lists (hip: HIP number, cell, row, three numbers a star)");
  }
  for (const [i, star] of document.stars.entries()) {
    if (!(Number.isInteger(star.hip) && Number.isInteger(star.cell) && Number.isInteger(star.row) && star.cell >= 0 && star.cell < document.cells.length)) {
      fail(`stars[${i}]: hip, cell and row must be integers, cell one of the ${document.cells.length} cells`);
    }
  }
  return document;
}

/** A star's designations as people write them: its name, Bayer letter and Flamsteed number with the constellation, HD, GJ. */
export function designations(star) {
  const con = star.constellation ? ` ${star.constellation}` : "";
  return [
    star.name,
    star.bayer ? `${star.bayer}${con}` : null,
    star.flamsteed ? `${star.flamsteed}${con}` : null,
    star.variable && star.variable !== star.bayer ? `${star.variable}${con}` : null,
    `HIP ${star.hip}`,
    star.hd,
    star.gliese,
  ].filter(Boolean);
}

/** A catalogue id as people read it, from the pack's `meta.ids` (docs/pack-format.md, "ids"); null when the star has none. */
export function formatId(id, kind) {
  if (id === null || id === undefined || id < 0n) return null;
  if (kind === "hip") return `HIP ${id}`;
  if (kind === "gaia_dr3") return `Gaia DR3 ${id}`;
  if (kind === "synthetic") return `synthetic star ${id}`;
  return `source_id ${id}`;
}

/** The query in the form the names are written: Greek letter names as letters (`alpha Ori`, `alf Ori` -> `α ori`;
 * `kappa1 Sco` -> `κ1 sco`, as d3-celestial writes it), lower case, single spaces. */
export function normaliseQuery(text) {
  let query = text.trim().toLowerCase().replace(/\s+/g, " ");
  query = query.replace(/^([a-z]+)(\d?)(?= |$)/, (whole, word, digit) => {
    const letter = GREEK[word] ?? ABBREVIATED[word];
    return letter ? `${letter}${digit}` : whole;
  });
  return query;
}

/**
 * Stars of `names` (a checked star_names.json) matching `text`, at most `limit`: {label, hip, cellId, shardId, row}.
 * `HIP n` (or a bare number up to 120,416) finds any star of the universe by its Hipparcos number; names match from
 * their start first, then anywhere; designations match whole.
 */
export function searchStars(names, text, limit = 12) {
  const query = normaliseQuery(text);
  if (!query || !names) return [];
  const place = (hip, cell, row, label) => ({ label, hip, cellId: names.cells[cell][0], shardId: names.cells[cell][1], row });
  const number = /^(?:hip ?)?(\d{1,6})$/.exec(query);
  if (number && Number(number[1]) <= HIP_MAX) {
    const hip = Number(number[1]);
    const named = names.stars.find((star) => star.hip === hip);
    if (named) return [place(hip, named.cell, named.row, label(named))];
    const at = findHip(names.hip, hip);
    return at === null ? [] : [place(hip, names.hip[3 * at + 1], names.hip[3 * at + 2], `HIP ${hip}`)];
  }
  const scored = [];
  for (const star of names.stars) {
    const written = designations(star).map((d) => d.toLowerCase());
    let score = null;
    if (written.includes(query)) score = 0;
    else if (star.name && star.name.toLowerCase().startsWith(query)) score = 1;
    else if (star.name && star.name.toLowerCase().includes(query)) score = 2;
    if (score !== null) scored.push({ score, star });
  }
  scored.sort((a, b) => a.score - b.score || a.star.hip - b.star.hip);
  return scored.slice(0, limit).map(({ star }) => place(star.hip, star.cell, star.row, label(star)));
}

/** A named star's line in the results: its name (or first designation) and the rest in brackets. */
function label(star) {
  const [first, ...rest] = designations(star);
  return rest.length ? `${first} (${rest.slice(0, 3).join(", ")})` : first;
}

/** The index of `hip` in the flat sorted [hip, cell, row, ...] list, or null (binary search). */
function findHip(table, hip) {
  let [low, high] = [0, table.length / 3 - 1];
  while (low <= high) {
    const middle = (low + high) >> 1;
    const value = table[3 * middle];
    if (value === hip) return middle;
    if (value < hip) low = middle + 1;
    else high = middle - 1;
  }
  return null;
}

/** What the names file knows of star `row` of cell `cellId`: {hip, star (its names, or null)}, or null.  By place, so
 * that it serves a universe of HIP ids and one cross-matched to Hipparcos alike (helios/star_names.py). */
export function starAt(names, cellId, row) {
  if (!names) return null;
  if (!names.byPlace) {
    names.byPlace = new Map();
    for (let i = 0; i < names.hip.length; i += 3) names.byPlace.set(`${names.cells[names.hip[i + 1]][0]}/${names.hip[i + 2]}`, { hip: names.hip[i], star: null });
    for (const star of names.stars) names.byPlace.set(`${names.cells[star.cell][0]}/${star.row}`, { hip: star.hip, star });
  }
  return names.byPlace.get(`${cellId}/${row}`) ?? null;
}

/** A Gaia DR3 source_id typed into search (`Gaia DR3 4472832130942575872` or the number alone), as a BigInt, or null. */
export function gaiaQuery(text) {
  const match = /^(?:gaia (?:dr3 )?)?(\d{7,20})$/.exec(normaliseQuery(text));
  if (!match || Number(match[1]) <= HIP_MAX) return null;
  return BigInt(match[1]);
}
