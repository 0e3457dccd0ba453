// The photometric scale of docs/photometry.md, as helios/photometry.py has it: a star of apparent
// magnitude m has flux 10^(-0.4 m); a display value is sRGB(1 - exp(-exposure * linear)), the exposure
// giving a star at the limiting magnitude the exposed flux `limit_exposed_flux`.  The constants come
// from the site's site.json, written by `helios site` from the Python package: stated once, there.

const LUMINANCE = [0.2126, 0.7152, 0.0722];

export function exposureFor(limitingMag, limitExposedFlux) {
  return limitExposedFlux / 10 ** (-0.4 * limitingMag);
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
