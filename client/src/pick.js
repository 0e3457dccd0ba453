// Which star is under the pointer: the one whose drawn image puts the most light into the pixel clicked, each
// star's light spread exactly as the renderer's point shader spreads it (renderer.js, helios/render/points.py: its
// flux 10^(-0.4 M) (10 pc / d)^2 times the exposure, through a Gaussian point-spread function integrated over the
// pixel).  A click on dark sky beside a star (a tap is not a pixel) takes the star whose brightest pixel is the
// brightest within `tapPx` of it.  Pure: the page passes what it drew.

/** Abramowitz and Stegun 7.1.26, as the shader's erf_ (absolute error below 1.5e-7). */
function erf(x) {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  return s * (1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
}

/** The share of a star's light (centred at `c`, pixels) in pixel `p` along one axis, normalised over its stamp. */
function share(p, c, sigma, reach) {
  const k = 1 / (sigma * Math.SQRT2);
  const first = Math.floor(c);
  const total = erf((first + reach + 1 - c) * k) - erf((first - reach - c) * k);
  return (erf((p + 1 - c) * k) - erf((p - c) * k)) / total;
}

/** The light (exposed flux, before the tone map) that a star at camera coordinates `q` with absolute magnitude `absMag`
 * puts into pixel (px, py), and its image's centre; null when it is not drawn (behind the camera, outside the padded image). */
export function lightInPixel(q, absMag, px, py, view) {
  if (!(q[2] > 0)) return null;
  const u = (view.focal * q[0]) / q[2] + 0.5 * view.width;
  const v = (view.focal * q[1]) / q[2] + 0.5 * view.height;
  const [fu, fv] = [Math.floor(u), Math.floor(v)];
  if (fu < -view.reach || fv < -view.reach || fu >= view.width + view.reach || fv >= view.height + view.reach) return null;
  const flux = Math.min(view.exposure * 10 ** (-0.4 * absMag) * 100 / (q[0] * q[0] + q[1] * q[1] + q[2] * q[2]), view.maxFlux);
  const inStamp = Math.abs(px - fu) <= view.reach && Math.abs(py - fv) <= view.reach;
  const light = inStamp ? flux * share(px, u, view.sigma, view.reach) * share(py, v, view.sigma, view.reach) : 0;
  const peak = flux * share(fu, u, view.sigma, view.reach) * share(fv, v, view.sigma, view.reach);
  return { light, peak, u, v };
}

/**
 * The star drawn under pixel (px, py) of `camera` (device pixels, from the top left): `drawn` is [{cell, count,
 * positions (pc from the cell's centre), absMag, velocities or null}] as the page drew them `kyr` from the pack's
 * epoch; `view` {exposure, sigma, reach, maxFlux, visible (the least exposed flux that shows), tapPx}.  Returns
 * {cell, row, light, u, v} or null (no star shows there).
 */
export function pickStar(camera, drawn, kyr, px, py, view) {
  const r = camera.rotationRows();
  const frame = { ...view, focal: camera.focal, width: camera.width, height: camera.height };
  let under = null;
  let near = null;
  for (const { cell, count, positions, absMag, velocities } of drawn) {
    const offset = camera.toCamera(cell.centre_pc);
    for (let i = 0; i < count; i += 1) {
      let [x, y, z] = [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]];
      if (velocities && kyr) {
        x += velocities[3 * i] * kyr;
        y += velocities[3 * i + 1] * kyr;
        z += velocities[3 * i + 2] * kyr;
      }
      const q = [r[0] * x + r[1] * y + r[2] * z + offset[0], r[3] * x + r[4] * y + r[5] * z + offset[1],
        r[6] * x + r[7] * y + r[8] * z + offset[2]];
      const seen = lightInPixel(q, absMag[i], px, py, frame);
      if (!seen) continue;
      if (seen.light >= view.visible && (!under || seen.light > under.light)) under = { cell, row: i, ...seen };
      const away = Math.hypot(seen.u - (px + 0.5), seen.v - (py + 0.5));
      if (away <= view.tapPx && seen.peak >= view.visible && (!near || seen.peak > near.peak)) near = { cell, row: i, ...seen };
    }
  }
  return under ?? near;
}
