// The photometric scale of docs/photometry.md, as helios/photometry.py has it: a star of apparent
// magnitude m has flux 10^(-0.4 m); a display value is sRGB(1 - exp(-exposure * linear)), the exposure
// giving a star at the limiting magnitude the exposed flux LIMIT_EXPOSED_FLUX.  The constants come from
// the site's site.json (written by `helios site` from the Python package); these are the same values.

export const DEFAULTS = { limit_exposed_flux: 0.02, default_limiting_mag: 6.5, psf_sigma_px: 0.8 };
const LUMINANCE = [0.2126, 0.7152, 0.0722];

export function exposureFor(limitingMag, limitExposedFlux = DEFAULTS.limit_exposed_flux) {
  return limitExposedFlux / 10 ** (-0.4 * limitingMag);
}

export function apparentMagnitude(absMag, distancePc) {
  return absMag + 5 * Math.log10(distancePc / 10);
}

export function srgbEncode(linear) {
  const x = Math.min(1, Math.max(0, linear));
  return x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
}

/** Display value in [0, 1] of exposed linear light (one channel). */
export function toneMap(exposed) {
  return srgbEncode(-Math.expm1(-Math.max(0, exposed)));
}

function srgbDecode(shown) {
  return shown <= 0.04045 ? shown / 12.92 : ((shown + 0.055) / 1.055) ** 2.4;
}

/** Unit-luminance linear sRGB of an RGB565 colour (docs/pack-format.md, "Colour"). */
export function decodeColour(packed) {
  const linear = [srgbDecode((packed >> 11) / 31), srgbDecode(((packed >> 5) & 63) / 63), srgbDecode((packed & 31) / 31)];
  const y = LUMINANCE[0] * linear[0] + LUMINANCE[1] * linear[1] + LUMINANCE[2] * linear[2];
  return y > 0 ? linear.map((c) => c / y) : [1, 1, 1];
}
