// Where on the sky a Gaia source_id points: Gaia DR3 numbers its sources so that source_id / 2^35 is the HEALPix
// index of the star's place at level 12 in the NESTED scheme (Gaia DR3 documentation, gaia_source.source_id).  The
// pixel's centre from its index: Gorski et al. 2005 (ApJ 622, 759), as the HEALPix library's nest2xyf and pix2loc
// compute it (checked against astropy-healpix in tests/client/test_healpix_js.py).

const JRLL = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
const JPLL = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];
export const GAIA_LEVEL = 12;
const GAIA_SHIFT = 35n;

/** The even bits of `value` (bits 0, 2, 4, ...) packed together. */
function compressBits(value, bits) {
  let out = 0;
  for (let k = 0; k < bits; k += 1) out |= ((value >>> (2 * k)) & 1) << k;
  return out;
}

/** The centre of NESTED pixel `pixel` at `level` (nside 2^level): [colatitude theta, longitude phi] in radians. */
export function pixelCentre(level, pixel) {
  const nside = 2 ** level;
  const perFace = nside * nside;
  if (!(Number.isInteger(pixel) && pixel >= 0 && pixel < 12 * perFace)) throw new RangeError(`no HEALPix pixel ${pixel} at level ${level}`);
  const face = Math.floor(pixel / perFace);
  const within = pixel - face * perFace;
  const ix = compressBits(within, level);
  const iy = compressBits(within >>> 1, level);
  const jr = JRLL[face] * nside - ix - iy - 1;
  let nr;
  let z;
  if (jr < nside) {
    nr = jr;
    z = 1 - (nr * nr) / (3 * perFace);
  } else if (jr > 3 * nside) {
    nr = 4 * nside - jr;
    z = (nr * nr) / (3 * perFace) - 1;
  } else {
    nr = nside;
    z = ((2 * nside - jr) * 2) / (3 * nside);
  }
  let steps = JPLL[face] * nr + ix - iy;
  if (steps < 0) steps += 8 * nr;
  const phi = nr === nside ? (Math.PI / 4) * steps / nside : (Math.PI / 4) * steps / nr;
  return [Math.acos(z), phi];
}

/** The ICRS unit vector towards the centre of the level-12 pixel a Gaia DR3 source_id (a BigInt) names. */
export function gaiaDirection(sourceId) {
  const [theta, phi] = pixelCentre(GAIA_LEVEL, Number(sourceId >> GAIA_SHIFT));
  return [Math.sin(theta) * Math.cos(phi), Math.sin(theta) * Math.sin(phi), Math.cos(theta)];
}

/** The angular radius (rad) within which every point of a level's pixel lies from its centre: at most about 1.1 of
 * the pixel's mean size (sqrt(4 pi / npix)); taken as 1.5 of it, a safe bound. */
export function pixelRadius(level) {
  return 1.5 * Math.sqrt((4 * Math.PI) / (12 * 4 ** level));
}
