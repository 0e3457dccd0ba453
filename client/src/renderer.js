// Drawing the universe as light (docs/photometry.md), with three.js on WebGL2.
//
// Stars are point sources: each adds its flux F = 10^(-0.4 M) (10 pc / d)^2 times its colour through a
// Gaussian point-spread function integrated over each pixel and normalised over its (2 reach + 1)^2
// stamp, exactly as helios/render/points.py does, into a floating-point image (additive blending: light
// is optically thin, so no sorting and no depth buffer are needed).  The image is padded by `reach`
// pixels on every side, so a star just outside the frame still puts its light inside it, as in Python.
// Glare (helios/render/glare.py) moves a share of the light into a halo made as there: a Gaussian pyramid
// (each octave blurred by [1 4 6 4 1] / 16 along x then y, the next one every other row and column of it),
// octaves K to 1 summed from the widest down, each sum interpolated linearly onto the grid below and blurred there; a
// pixel's light goes into the pyramid only up to the glare's ceiling (its share above it stays in the pixel, as
// glare.py's below_ceiling).  A last pass applies the exposure's tone map, sRGB(1 - exp(-x)), to the canvas.
//
// Floating origin: the GPU sees each cell's centre in camera coordinates, R (centre - eye), computed
// in float64 on the CPU and rounded once to float32; star positions are float32 offsets from their
// cell's centre.  Far from everything only the depth is large, and its rounding changes a star's
// apparent size by parts in 10^8, never its place; so nothing jitters (docs/client.md).

import * as THREE from "three";

const ERF = `
float erf_(float x) {
  // Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
  float s = sign(x);
  float a = abs(x);
  float t = 1.0 / (1.0 + 0.3275911 * a);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return s * y;
}`;

// Minor planets (minor_planets.js): a two-body ellipse about the Sun per vertex, Kepler's equation solved here by
// Newton's method from Danby's start (16 steps: float32's last bit for e up to 0.95), and the H-G law's magnitude.
// sin and cos are our own (Cody-Waite reduction to a quarter turn, Cephes' float32 polynomials, about 1e-7): the GPU's
// built-in ones may be as coarse as 2^-11 (GLSL ES 3.0) and SwiftShader's put the places several arcseconds off.
const KEPLER_GLSL = `
uniform float uDays; // days from the date the mean anomalies (orbit.x) are at
const float AU_PC = 4.84813681109536e-6;
vec2 sinCos(float x) {
  float q = floor(x * 0.636619772 + 0.5); // quarter turns
  float r = (x - q * 1.5703125) - q * 4.83826794897e-4; // pi/2 = 1.5703125 (exact) + 4.838e-4
  float z = r * r;
  float s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  float c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  int k = int(mod(q, 4.0));
  return k == 0 ? vec2(s, c) : k == 1 ? vec2(c, -s) : k == 2 ? vec2(-s, -c) : vec2(-c, s);
}
// orbit: mean anomaly (rad), mean motion (rad a day), a (au), e; P and Q: unit vectors to perihelion and 90 degrees on.
vec3 keplerPlace(vec4 orbit, vec3 axisP, vec3 axisQ) {
  float e = orbit.w;
  float M = orbit.x + orbit.y * uDays;
  M -= 6.283185307 * floor((M + 3.141592654) / 6.283185307);
  float E = M + 0.85 * e * sign(M);
  vec2 sc;
  for (int k = 0; k < 16; k++) {
    sc = sinCos(E);
    E -= (E - e * sc.x - M) / (1.0 - e * sc.y);
  }
  sc = sinCos(E);
  return orbit.z * ((sc.y - e) * axisP + sqrt(1.0 - e * e) * sc.x * axisQ);
}
// V by the H-G law (Bowell et al. 1989) from the Sun-to-body and eye-to-body vectors (au).
float hgMagnitude(vec2 hg, vec3 sunToBody, vec3 eyeToBody) {
  float r = length(sunToBody);
  float delta = length(eyeToBody);
  float c = clamp(dot(sunToBody, eyeToBody) / (r * delta), -1.0, 1.0);
  float tanHalf = sqrt(max(0.0, (1.0 - c) / (1.0 + c)));
  float phi1 = exp(-3.33 * pow(tanHalf, 0.63));
  float phi2 = exp(-1.87 * pow(tanHalf, 1.22));
  return hg.x + 5.0 * log(r * delta) / log(10.0) - 2.5 * log((1.0 - hg.y) * phi1 + hg.y * phi2) / log(10.0);
}`;

const POINT_VERTEX = `
precision highp float;
in vec3 position; // KEPLER: the orbit's axis P (three.js counts the points by the position attribute)
#ifdef KEPLER
in vec3 axisQ;
in vec4 orbit;
in vec2 hg;
uniform vec3 uColour;
${KEPLER_GLSL}
#else
in float absMag;
in vec3 colour;
#endif
#ifdef MOVING
in vec3 velocity;
uniform float uKyr;
#endif
uniform vec3 uOffset; // the cell's centre in camera coordinates (rotated in float64)
uniform mat3 uRotation;
uniform float uFocal;
uniform vec2 uSize;
uniform float uReach;
uniform float uExposure;
uniform float uMaxFlux;
#ifdef KEPLER
uniform float uLimitFlux; // the exposed flux of a body at the limiting magnitude
#endif
flat out vec2 vCentre;
flat out vec2 vFirst;
flat out vec3 vLight;
void main() {
#ifdef KEPLER
  if (hg.x > 90.0) { // no H (minor_planets.js gives 99): its brightness is unknown, not drawn (helios render leaves it out)
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    return;
  }
  vec3 sunToBody = keplerPlace(orbit, position, axisQ);
  vec3 local = sunToBody * AU_PC;
  vec3 colour = uColour;
#else
  vec3 local = position;
#endif
#ifdef MOVING
  local += velocity * uKyr;
#endif
  vec3 p = uRotation * local + uOffset;
  vec2 padded = uSize + 2.0 * uReach;
  vec2 centre = uFocal * p.xy / p.z + 0.5 * uSize + uReach;
  vec2 first = floor(centre);
  if (!(p.z > 0.0) || any(lessThan(first, vec2(0.0))) || any(greaterThanEqual(first, padded))) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    return;
  }
#ifdef KEPLER
  float logFlux = -0.921034037 * hgMagnitude(hg, uRotation * sunToBody, p / AU_PC); // 10^(-0.4 V)
  if (uExposure * exp(logFlux) < uLimitFlux) { // fainter than the limiting magnitude: not drawn, as the streamer leaves
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);     // such stars unfetched (most of a belt: its stamps cost the most)
    gl_PointSize = 0.0;
    return;
  }
#else
  float logFlux = -0.921034037 * absMag + 4.605170186 - log(dot(p, p));
#endif
  vLight = colour * min(uExposure * exp(logFlux), uMaxFlux);
  vCentre = centre;
  vFirst = first;
  gl_Position = vec4((first.x + 0.5) / padded.x * 2.0 - 1.0, 1.0 - (first.y + 0.5) / padded.y * 2.0, 0.0, 1.0);
  gl_PointSize = 2.0 * uReach + 1.0;
}`;

// The minor planets' places (au from the Sun, ICRS or the universe's frame as their axes are) written one texel each
// into a float image: what the drawing shader computes, read back by tests (probeMinorPlanets).
const PROBE_VERTEX = `
precision highp float;
in vec3 position;
in vec3 axisQ;
in vec4 orbit;
uniform float uWidth;
${KEPLER_GLSL}
flat out vec3 vPlace;
void main() {
  vPlace = keplerPlace(orbit, position, axisQ);
  float i = float(gl_VertexID);
  vec2 pixel = vec2(mod(i, uWidth), floor(i / uWidth));
  gl_Position = vec4((pixel + 0.5) / vec2(uWidth, uWidth) * 2.0 - 1.0, 0.0, 1.0);
  gl_PointSize = 1.0;
}`;

const PROBE_FRAGMENT = `
precision highp float;
flat in vec3 vPlace;
out vec4 outColour;
void main() { outColour = vec4(vPlace, 1.0); }`;

const POINT_FRAGMENT = `
precision highp float;
uniform float uSigma;
uniform float uReach;
uniform vec2 uSize;
flat in vec2 vCentre;
flat in vec2 vFirst;
flat in vec3 vLight;
out vec4 outColour;
${ERF}
vec2 cdf(vec2 x) { return vec2(erf_(x.x), erf_(x.y)) ; }
void main() {
  vec2 padded = uSize + 2.0 * uReach;
  vec2 pixel = vec2(floor(gl_FragCoord.x), padded.y - 1.0 - floor(gl_FragCoord.y));
  float scale = 1.0 / (uSigma * 1.41421356);
  vec2 weight = cdf((pixel + 1.0 - vCentre) * scale) - cdf((pixel - vCentre) * scale);
  vec2 total = cdf((vFirst + uReach + 1.0 - vCentre) * scale) - cdf((vFirst - uReach - vCentre) * scale);
  weight /= total;
  outColour = vec4(vLight * weight.x * weight.y, 1.0);
}`;

// Trained Gaussians as optically thin light, as helios/render/glow.py draws (and trains) them: the EWA
// projection of each covariance at its mean, widened by the point-spread function and a pixel's own
// width, normalised to carry the flux L (10 pc / d)^2, over a box of 4 sigma clipped to the image.
const GLOW_VERTEX = `
precision highp float;
in vec2 corner;
in vec3 mean;
in vec3 covA; // xx xy xz
in vec3 covB; // yy yz zz
in vec3 light;
uniform vec3 uOffset;
uniform mat3 uRotation;
uniform float uFocal;
uniform vec2 uSize;
uniform float uReach;
uniform float uWiden;
uniform float uExposure;
uniform float uMaxFlux;
flat out vec2 vCentre;
flat out vec3 vConic;
flat out vec3 vPeak;
void main() {
  vec3 cam = uRotation * mean + uOffset;
  vec2 padded = uSize + 2.0 * uReach;
  gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
  if (!(cam.z > 0.0)) return;
  mat3 covariance = mat3(covA.x, covA.y, covA.z, covA.y, covB.x, covB.y, covA.z, covB.y, covB.z);
  mat3 turned = uRotation * covariance * transpose(uRotation);
  float iz = 1.0 / cam.z;
  vec3 j0 = vec3(uFocal * iz, 0.0, -uFocal * cam.x * iz * iz);
  vec3 j1 = vec3(0.0, uFocal * iz, -uFocal * cam.y * iz * iz);
  float a = dot(j0, turned * j0) + uWiden;
  float b = dot(j0, turned * j1);
  float d = dot(j1, turned * j1) + uWiden;
  float det = a * d - b * b;
  vec2 centre = uFocal * cam.xy * iz + 0.5 * uSize + uReach;
  float largest = 0.5 * (a + d) + sqrt(0.25 * (a - d) * (a - d) + b * b);
  float reach = ceil(4.0 * sqrt(largest));
  vec2 first = floor(centre);
  vec2 lo = max(first - reach, vec2(uReach));
  vec2 hi = min(first + reach + 1.0, uSize + uReach);
  if (any(greaterThanEqual(lo, hi))) return;
  float flux = uExposure * 100.0 / dot(cam, cam);
  vPeak = min(light * (flux / (6.283185307 * sqrt(det))), vec3(uMaxFlux));
  vConic = vec3(d, -b, a) / det;
  vCentre = centre;
  vec2 pixel = mix(lo, hi, corner);
  gl_Position = vec4(pixel.x / padded.x * 2.0 - 1.0, 1.0 - pixel.y / padded.y * 2.0, 0.0, 1.0);
}`;

const GLOW_FRAGMENT = `
precision highp float;
uniform float uReach;
uniform vec2 uSize;
flat in vec2 vCentre;
flat in vec3 vConic;
flat in vec3 vPeak;
out vec4 outColour;
void main() {
  vec2 padded = uSize + 2.0 * uReach;
  vec2 offset = vec2(floor(gl_FragCoord.x) + 0.5, padded.y - floor(gl_FragCoord.y) - 0.5) - vCentre;
  float q = vConic.x * offset.x * offset.x + 2.0 * vConic.y * offset.x * offset.y + vConic.z * offset.y * offset.y;
  outColour = vec4(vPeak * exp(-0.5 * q), 1.0);
}`;

// The Sun and the planets larger than two pixels, as helios/render/discs.py draws them: each pixel of the disc's box
// sampled at uSamples x uSamples points, a ray that meets the sphere (centre uCentre in camera coordinates, in radii) carrying the
// sunlight its surface takes (Lambert; the Sun: 1) times its solid angle; uLight is the body's exposed flux and
// colour over the normalisation (discs.py's), set on the CPU.
const DISC_VERTEX = `
precision highp float;
in vec3 position; // the disc's box, clip coordinates of the padded light image
void main() { gl_Position = vec4(position.xy, 0.0, 1.0); }`;

const DISC_FRAGMENT = `
precision highp float;
uniform vec3 uCentre;
uniform vec3 uToSun; // unit vector from the body to the Sun, camera coordinates
uniform int uSelfLuminous;
uniform int uSamples; // along each axis of a pixel
uniform vec3 uLight;
uniform float uFocal;
uniform vec2 uSize;
uniform float uReach;
uniform float uExposure;
uniform float uMaxFlux;
out vec4 outColour;
void main() {
  vec2 padded = uSize + 2.0 * uReach;
  vec2 pixel = vec2(floor(gl_FragCoord.x), padded.y - 1.0 - floor(gl_FragCoord.y)) - uReach;
  float c2 = dot(uCentre, uCentre) - 1.0;
  float sum = 0.0;
  float n = float(uSamples);
  for (int a = 0; a < uSamples; a++) {
    for (int b = 0; b < uSamples; b++) {
      vec2 at = pixel + (vec2(float(a), float(b)) + 0.5) / n;
      vec3 ray = normalize(vec3((at - 0.5 * uSize) / uFocal, 1.0));
      float along = dot(ray, uCentre);
      float disc = along * along - c2;
      if (disc < 0.0) continue;
      vec3 normal = (along - sqrt(disc)) * ray - uCentre;
      float weight = uSelfLuminous == 1 ? 1.0 : max(dot(normal, uToSun), 0.0);
      sum += weight * ray.z * ray.z * ray.z;
    }
  }
  outColour = vec4(min(uExposure * uLight * sum / (n * n * uFocal * uFocal), vec3(uMaxFlux)), 1.0);
}`;

const SCREEN_VERTEX = `
precision highp float;
in vec3 position;
void main() { gl_Position = vec4(position.xy, 0.0, 1.0); }`;

// The pyramid's textures hold image rows from the top (row 0 first); the light image's rows are the other
// way up and padded by uReach.  An octave's level is every other row and column of the octave before, blurred.
const SAMPLE_FRAGMENT = `
precision highp float;
uniform highp sampler2D uSource;
out vec4 outColour;
void main() {
  outColour = vec4(texelFetch(uSource, 2 * ivec2(gl_FragCoord.xy), 0).rgb, 1.0);
}`;

// The binomial kernel [1 4 6 4 1] / 16 of glare.py's BLUR_TAPS.
const TAPS = "const float TAPS[5] = float[5](0.0625, 0.25, 0.375, 0.25, 0.0625);";

// A pixel's light scaled down, as a whole, until its largest channel is at most the ceiling (glare.py's below_ceiling).
// A half-float image (no float blending) holds light past 65504 as infinity: its infinite channels go in at the ceiling.
const BELOW_CEILING = `
uniform float uCeiling;
vec3 belowCeiling(vec3 light) {
  float largest = max(light.r, max(light.g, light.b));
  if (isinf(largest)) return uCeiling * vec3(isinf(light));
  return largest > uCeiling ? light * (uCeiling / largest) : light;
}`;

// Octave 1's level straight from the light image: octave 0 (the image blurred by [1 4 6 4 1] / 16 along x and y,
// dark beyond the edges) at every other row and column, reading the light's rows the other way up, past its padding.
const FIRST_LEVEL_FRAGMENT = `
precision highp float;
uniform highp sampler2D uLight;
uniform float uReach;
uniform vec2 uSize;
out vec4 outColour;
${BELOW_CEILING}
void main() {
  ${TAPS}
  ivec2 size = ivec2(uSize);
  int reach = int(uReach);
  ivec2 centre = 2 * ivec2(gl_FragCoord.xy);
  vec3 sum = vec3(0.0);
  for (int j = 0; j < 5; j++) {
    int y = centre.y + j - 2;
    if (y < 0 || y >= size.y) continue;
    for (int i = 0; i < 5; i++) {
      int x = centre.x + i - 2;
      if (x < 0 || x >= size.x) continue;
      sum += TAPS[i] * TAPS[j] * belowCeiling(texelFetch(uLight, ivec2(x + reach, size.y + reach - 1 - y), 0).rgb);
    }
  }
  outColour = vec4(sum, 1.0);
}`;

// Blurred by [1 4 6 4 1] / 16 along uStep, dark beyond the edges; with uAddOctave 1, added to uOctave (the sum of
// the glare's octaves at this one: the octave plus the sum above it, spread and blurred across, blurred down here).
const BLUR_FRAGMENT = `
precision highp float;
uniform highp sampler2D uSource;
uniform ivec2 uStep;
uniform int uAddOctave;
uniform highp sampler2D uOctave;
out vec4 outColour;
void main() {
  ${TAPS}
  ivec2 size = textureSize(uSource, 0);
  ivec2 p = ivec2(gl_FragCoord.xy);
  vec3 sum = uAddOctave == 1 ? texelFetch(uOctave, p, 0).rgb : vec3(0.0);
  for (int t = 0; t < 5; t++) {
    ivec2 q = p + (t - 2) * uStep;
    if (all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size))) sum += TAPS[t] * texelFetch(uSource, q, 0).rgb;
  }
  outColour = vec4(sum, 1.0);
}`;

// An octave's samples (at every other pixel) interpolated linearly to the pixel p of the grid below (glare.py's _spread).
const SPREAD = `
vec3 spread(highp sampler2D octave, ivec2 p) {
  ivec2 n = textureSize(octave, 0);
  vec2 src = vec2(p) / 2.0;
  ivec2 i0 = min(ivec2(floor(src)), n - 1);
  ivec2 i1 = min(i0 + 1, n - 1);
  vec2 f = src - floor(src);
  vec3 top = mix(texelFetch(octave, i0, 0).rgb, texelFetch(octave, ivec2(i1.x, i0.y), 0).rgb, f.x);
  vec3 bottom = mix(texelFetch(octave, ivec2(i0.x, i1.y), 0).rgb, texelFetch(octave, i1, 0).rgb, f.x);
  return mix(top, bottom, f.y);
}`;

// The sum above, interpolated onto an octave's grid and blurred across there (dark beyond its edges).
const SPREAD_ACROSS_FRAGMENT = `
precision highp float;
uniform highp sampler2D uAbove;
uniform ivec2 uGrid;
out vec4 outColour;
${SPREAD}
void main() {
  ${TAPS}
  ivec2 p = ivec2(gl_FragCoord.xy);
  vec3 sum = vec3(0.0);
  for (int t = 0; t < 5; t++) {
    int x = p.x + t - 2;
    if (x >= 0 && x < uGrid.x) sum += TAPS[t] * spread(uAbove, ivec2(x, p.y));
  }
  outColour = vec4(sum, 1.0);
}`;

const TONE_MAP_FRAGMENT = `
precision highp float;
uniform highp sampler2D uLight;
uniform highp sampler2D uHalo;
uniform float uReach;
uniform float uGlare;
uniform float uOctaves;
uniform vec2 uSize;
out vec4 outColour;
${SPREAD}
${BELOW_CEILING}
vec3 srgb(vec3 x) {
  x = clamp(x, 0.0, 1.0);
  return mix(12.92 * x, 1.055 * pow(x, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), x));
}
void main() {
  vec3 light = texelFetch(uLight, ivec2(gl_FragCoord.xy) + ivec2(int(uReach)), 0).rgb;
  if (uGlare > 0.0) {
    vec3 halo = spread(uHalo, ivec2(int(gl_FragCoord.x), int(uSize.y) - 1 - int(gl_FragCoord.y)));
    light = light - uGlare * belowCeiling(light) + uGlare * halo / uOctaves;
  }
  outColour = vec4(srgb(1.0 - exp(-max(light, 0.0))), 1.0);
}`;

// Light adds up: every drawable blends by addition into the float image, with no depth test.
const ADD_LIGHT = { blending: THREE.CustomBlending, blendEquation: THREE.AddEquation, blendSrc: THREE.OneFactor, blendDst: THREE.OneFactor,
  depthTest: false, depthWrite: false, transparent: true };

export class LightRenderer {
  /** canvas: the page's canvas; photometry: site.json's photometry block. */
  constructor(canvas, photometry) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false, alpha: false, preserveDrawingBuffer: true, powerPreference: "high-performance" });
    this.renderer.autoClear = false;
    this.renderer.setPixelRatio(1);
    const gl = this.renderer.getContext();
    const floatBlend = this.renderer.extensions.has("EXT_color_buffer_float") && this.renderer.extensions.has("EXT_float_blend");
    this.lightType = floatBlend ? THREE.FloatType : THREE.HalfFloatType;
    this.maxFlux = floatBlend ? 1e30 : 6e4;
    this.lightPrecision = floatBlend ? "float32" : "float16";
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    this.glRenderer = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    this.sigma = photometry.psf_sigma_px;
    this.reach = Math.ceil(4 * this.sigma);
    this.shared = {
      uRotation: { value: new THREE.Matrix3() },
      uFocal: { value: 1 },
      uSize: { value: new THREE.Vector2(1, 1) },
      uReach: { value: this.reach },
      uSigma: { value: this.sigma },
      uExposure: { value: 1 },
      uMaxFlux: { value: this.maxFlux },
      uKyr: { value: 0 },
      uDays: { value: 0 },
      uLimitFlux: { value: photometry.limit_exposed_flux },
      uWiden: { value: this.sigma * this.sigma + 1 / 12 },
    };
    this.scene = new THREE.Scene();
    this.dummyCamera = new THREE.OrthographicCamera();
    this.target = null;
    const screen = new THREE.BufferGeometry();
    screen.setAttribute("position", new THREE.Float32BufferAttribute([-1, -1, 0, 3, -1, 0, -1, 3, 0], 3));
    this.glareOctaves = photometry.glare_octaves;
    this.meterOctave = photometry.auto_exposure.octave;
    this.octaves = Math.max(this.glareOctaves, this.meterOctave); // octaves 1 to this are drawn
    this.metering = false;
    this.glare = photometry.default_glare;
    const pass = (fragmentShader, uniforms) => new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3, vertexShader: SCREEN_VERTEX, fragmentShader, uniforms, depthTest: false, depthWrite: false,
    });
    const ceiling = { value: photometry.glare_ceiling };
    this.toneMap = pass(TONE_MAP_FRAGMENT, { uLight: { value: null }, uHalo: { value: null }, uReach: this.shared.uReach,
      uSize: this.shared.uSize, uGlare: { value: this.glare }, uOctaves: { value: this.glareOctaves }, uCeiling: ceiling });
    this.sample = pass(SAMPLE_FRAGMENT, { uSource: { value: null } });
    this.firstLevel = pass(FIRST_LEVEL_FRAGMENT, { uLight: { value: null }, uReach: this.shared.uReach, uSize: this.shared.uSize,
      uCeiling: ceiling });
    this.blur = pass(BLUR_FRAGMENT, { uSource: { value: null }, uStep: { value: new THREE.Vector2() }, uAddOctave: { value: 0 },
      uOctave: { value: null } });
    this.spreadAcross = pass(SPREAD_ACROSS_FRAGMENT, { uAbove: { value: null }, uGrid: { value: new THREE.Vector2() } });
    this.octaveTargets = [];
    this.screenScene = new THREE.Scene();
    this.quad = new THREE.Mesh(screen, this.toneMap);
    this.quad.frustumCulled = false;
    this.screenScene.add(this.quad);
    this.overlay = new THREE.Scene(); // lines drawn over the tone-mapped image (constellations.js)
  }

  /** Draw `objects` over the image (none: []); each one's `userData.beforeRender(eye, kyr)` places it each frame. */
  setOverlay(objects) {
    this.overlay.clear();
    for (const object of objects) this.overlay.add(object);
  }

  /** The `percentile` of the luminance of octave `octave` of the frame just drawn (exposed light), for the
   * automatic exposure (helios/render/exposure.py); octaves are drawn while `metering` is true.  The octaves hold the
   * light below the glare's ceiling (100), which Python's meter does not apply: the same reading wherever the exposure
   * has settled (its percentile exposed to 0.25), and a first reading of a view far too bright still darkens at once. */
  meter(octave, percentile) {
    const target = this.octaveTargets[octave].blurred;
    const [w, h] = this.octaveTargets[octave].size;
    const half = this.lightType === THREE.HalfFloatType;
    const pixels = half ? new Uint16Array(4 * w * h) : new Float32Array(4 * w * h);
    this.renderer.readRenderTargetPixels(target, 0, 0, w, h, pixels);
    const value = half ? (i) => THREE.DataUtils.fromHalfFloat(pixels[i]) : (i) => pixels[i];
    const luminance = new Float64Array(w * h);
    for (let i = 0; i < w * h; i += 1) luminance[i] = 0.2126 * value(4 * i) + 0.7152 * value(4 * i + 1) + 0.0722 * value(4 * i + 2);
    luminance.sort();
    const at = (percentile / 100) * (luminance.length - 1); // numpy's linear interpolation between order statistics
    const low = Math.floor(at);
    const high = Math.min(low + 1, luminance.length - 1);
    return luminance[low] + (luminance[high] - luminance[low]) * (at - low);
  }

  /** The share of each star's light in its glare halo (0: none). */
  setGlare(share) {
    this.glare = share;
    this.toneMap.uniforms.uGlare.value = share;
  }

  setSize(width, height) {
    this.renderer.setSize(width, height, false);
    this.shared.uSize.value.set(width, height);
    const paddedW = width + 2 * this.reach;
    const paddedH = height + 2 * this.reach;
    if (!this.target || this.target.width !== paddedW || this.target.height !== paddedH) {
      if (this.target) this.target.dispose();
      this.target = new THREE.WebGLRenderTarget(paddedW, paddedH, {
        type: this.lightType, format: THREE.RGBAFormat, depthBuffer: false, stencilBuffer: false,
        minFilter: THREE.NearestFilter, magFilter: THREE.NearestFilter, generateMipmaps: false,
      });
      this.toneMap.uniforms.uLight.value = this.target.texture;
    }
    if (this.octaveTargets.length && this.octaveTargets[0].size[0] === width && this.octaveTargets[0].size[1] === height) return;
    for (const octave of this.octaveTargets.slice(1)) for (const t of [octave.level, octave.across, octave.blurred, octave.summed]) t.dispose();
    this.octaveTargets = [{ size: [width, height] }]; // octave 0: the image's own grid (never drawn on its own)
    let [w, h] = [width, height];
    for (let k = 1; k <= this.octaves; k += 1) {
      [w, h] = [Math.ceil(w / 2), Math.ceil(h / 2)];
      const make = () => new THREE.WebGLRenderTarget(w, h, {
        type: this.lightType, format: THREE.RGBAFormat, depthBuffer: false, stencilBuffer: false,
        minFilter: THREE.NearestFilter, magFilter: THREE.NearestFilter, generateMipmaps: false,
      });
      this.octaveTargets.push({ size: [w, h], level: make(), across: make(), blurred: make(), summed: make() });
    }
  }

  /** Run one full-screen pass of `material` into `target`. */
  pass(material, target) {
    this.quad.material = material;
    this.renderer.setRenderTarget(target);
    this.renderer.render(this.screenScene, this.dummyCamera);
  }

  /** Octaves 1 to `last` of the light image (helios/render/glare.py's pyramid): each level (octave 1's straight
   * from the light, through octave 0's blur), blurred across, blurred down. */
  drawOctaves(last) {
    for (let k = 1; k <= last; k += 1) {
      const octave = this.octaveTargets[k];
      if (k === 1) {
        this.firstLevel.uniforms.uLight.value = this.target.texture;
        this.pass(this.firstLevel, octave.level);
      } else {
        this.sample.uniforms.uSource.value = this.octaveTargets[k - 1].blurred.texture;
        this.pass(this.sample, octave.level);
      }
      this.blur.uniforms.uSource.value = octave.level.texture;
      this.blur.uniforms.uStep.value.set(1, 0);
      this.pass(this.blur, octave.across);
      this.blur.uniforms.uSource.value = octave.across.texture;
      this.blur.uniforms.uStep.value.set(0, 1);
      this.pass(this.blur, octave.blurred);
    }
  }

  /** The glare's halo at octave 1, times the octaves: each octave plus the sum above it, from the widest down. */
  drawHalo() {
    let above = this.octaveTargets[this.glareOctaves].blurred;
    for (let k = this.glareOctaves - 1; k >= 1; k -= 1) {
      const octave = this.octaveTargets[k];
      this.spreadAcross.uniforms.uAbove.value = above.texture;
      this.spreadAcross.uniforms.uGrid.value.set(octave.size[0], octave.size[1]);
      this.pass(this.spreadAcross, octave.across); // free again: the octave's blur is done
      this.blur.uniforms.uSource.value = octave.across.texture;
      this.blur.uniforms.uStep.value.set(0, 1);
      this.blur.uniforms.uAddOctave.value = 1;
      this.blur.uniforms.uOctave.value = octave.blurred.texture;
      this.pass(this.blur, octave.summed);
      this.blur.uniforms.uAddOctave.value = 0;
      this.blur.uniforms.uOctave.value = null; // bound, it would loop back into a later blur's target
      above = octave.summed;
    }
    return above.texture;
  }

  /** A drawable for one cell's stars (decoded points, velocities or null). */
  makeStars(points, velocities) {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(points.positions, 3));
    geometry.setAttribute("absMag", new THREE.BufferAttribute(points.absMag, 1));
    geometry.setAttribute("colour", new THREE.BufferAttribute(points.colours, 3));
    const defines = {};
    if (velocities) {
      geometry.setAttribute("velocity", new THREE.BufferAttribute(velocities, 3));
      defines.MOVING = 1;
    }
    return this.pointsOfLight(geometry, defines);
  }

  /** Points drawn by POINT_VERTEX (with `defines` and `uniforms` beside the shared ones), each a stamp of light. */
  pointsOfLight(geometry, defines, uniforms = {}) {
    const material = new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3, vertexShader: POINT_VERTEX, fragmentShader: POINT_FRAGMENT, defines,
      uniforms: { ...this.shared, uOffset: { value: new THREE.Vector3() }, ...uniforms }, ...ADD_LIGHT,
    });
    const points = new THREE.Points(geometry, material);
    points.frustumCulled = false;
    return points;
  }

  /** A drawable for a chunk of minor planets (minor_planets.js gpuAttributes), each drawn in `colour` (sunlight); its
   * centre is the Sun. */
  makeMinorPlanets(attributes, colour) {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(attributes.axisP, 3));
    geometry.setAttribute("axisQ", new THREE.BufferAttribute(attributes.axisQ, 3));
    geometry.setAttribute("orbit", new THREE.BufferAttribute(attributes.orbit, 4));
    geometry.setAttribute("hg", new THREE.BufferAttribute(attributes.hg, 2));
    return this.pointsOfLight(geometry, { KEPLER: 1 }, { uColour: { value: new THREE.Vector3(...colour) } });
  }

  /** The places (au from the Sun) a minor planets drawable's shader computes `days` from its reference date, read back
   * from the GPU: a Float32Array of 3 per orbit. */
  probeMinorPlanets(object, days) {
    const count = object.geometry.getAttribute("position").count;
    const width = Math.max(1, Math.ceil(Math.sqrt(count)));
    const target = new THREE.WebGLRenderTarget(width, width, { type: THREE.FloatType, format: THREE.RGBAFormat, depthBuffer: false,
      stencilBuffer: false, minFilter: THREE.NearestFilter, magFilter: THREE.NearestFilter, generateMipmaps: false });
    const material = new THREE.RawShaderMaterial({ glslVersion: THREE.GLSL3, vertexShader: PROBE_VERTEX, fragmentShader: PROBE_FRAGMENT,
      uniforms: { uDays: { value: days }, uWidth: { value: width } }, depthTest: false, depthWrite: false });
    const probe = new THREE.Points(object.geometry, material);
    probe.frustumCulled = false;
    const scene = new THREE.Scene();
    scene.add(probe);
    this.renderer.setRenderTarget(target);
    this.renderer.setClearColor(0x000000, 0);
    this.renderer.clear(true, false, false);
    this.renderer.render(scene, this.dummyCamera);
    const pixels = new Float32Array(4 * width * width);
    this.renderer.readRenderTargetPixels(target, 0, 0, width, width, pixels);
    this.renderer.setRenderTarget(null);
    target.dispose();
    material.dispose();
    const places = new Float32Array(3 * count);
    for (let i = 0; i < count; i += 1) places.set(pixels.subarray(4 * i, 4 * i + 3), 3 * i);
    return places;
  }

  /** A drawable for a body's disc (solar.js discOf) in an image of `width` x `height`: a box of the padded light image
   * and the uniforms of DISC_FRAGMENT. */
  makeDisc(disc, width, height) {
    const [u0, u1, v0, v1] = disc.box;
    const padded = [width + 2 * this.reach, height + 2 * this.reach];
    const x = (u) => ((u + this.reach) / padded[0]) * 2 - 1;
    const y = (v) => 1 - ((v + this.reach) / padded[1]) * 2;
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.Float32BufferAttribute([x(u0), y(v0), 0, x(u1), y(v0), 0, x(u0), y(v1), 0, x(u1), y(v1), 0], 3));
    geometry.setIndex([0, 1, 2, 2, 1, 3]);
    const material = new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3, vertexShader: DISC_VERTEX, fragmentShader: DISC_FRAGMENT,
      uniforms: { uCentre: { value: new THREE.Vector3(...disc.centre) }, uToSun: { value: new THREE.Vector3(...disc.toSun) },
        uSelfLuminous: { value: disc.selfLuminous ? 1 : 0 }, uSamples: { value: disc.samples }, uLight: { value: new THREE.Vector3(...disc.light) },
        uFocal: this.shared.uFocal, uSize: this.shared.uSize, uReach: this.shared.uReach, uExposure: this.shared.uExposure,
        uMaxFlux: this.shared.uMaxFlux },
      ...ADD_LIGHT, side: THREE.DoubleSide,
    });
    const mesh = new THREE.Mesh(geometry, material);
    mesh.frustumCulled = false;
    return mesh;
  }

  /** A drawable for one level's Gaussians (decodeLevel's output). */
  makeGlow(level) {
    const geometry = new THREE.InstancedBufferGeometry();
    geometry.setAttribute("corner", new THREE.Float32BufferAttribute([0, 0, 1, 0, 0, 1, 1, 1], 2));
    geometry.setIndex([0, 1, 2, 2, 1, 3]);
    const covA = new Float32Array(level.count * 3);
    const covB = new Float32Array(level.count * 3);
    for (let i = 0; i < level.count; i += 1) {
      covA.set(level.covariances.subarray(6 * i, 6 * i + 3), 3 * i);
      covB.set(level.covariances.subarray(6 * i + 3, 6 * i + 6), 3 * i);
    }
    geometry.setAttribute("mean", new THREE.InstancedBufferAttribute(level.means, 3));
    geometry.setAttribute("covA", new THREE.InstancedBufferAttribute(covA, 3));
    geometry.setAttribute("covB", new THREE.InstancedBufferAttribute(covB, 3));
    geometry.setAttribute("light", new THREE.InstancedBufferAttribute(level.light, 3));
    geometry.instanceCount = level.count;
    const material = new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3, vertexShader: GLOW_VERTEX, fragmentShader: GLOW_FRAGMENT,
      uniforms: { ...this.shared, uOffset: { value: new THREE.Vector3() } },
      ...ADD_LIGHT, side: THREE.DoubleSide,
    });
    const glow = new THREE.Mesh(geometry, material);
    glow.frustumCulled = false;
    return glow;
  }

  dispose(object) {
    this.scene.remove(object);
    object.geometry.dispose();
    object.material.dispose();
  }

  /** Draw `drawables` ([{object, centre, count}]) for `camera` (camera.js) at `exposure`, `kyr` from the pack's epoch
   * (the minor planets: `days` from the date their mean anomalies are at). */
  render(camera, drawables, exposure, kyr = 0, days = 0) {
    const rows = camera.rotationRows();
    this.shared.uRotation.value.set(...rows);
    this.shared.uFocal.value = camera.focal;
    this.shared.uExposure.value = exposure;
    this.shared.uKyr.value = kyr;
    this.shared.uDays.value = days;
    this.scene.clear();
    for (const { object, centre, count } of drawables) {
      const offset = camera.toCamera(centre); // float64: sideways components stay exact far from the origin
      if (object.material.uniforms.uOffset) object.material.uniforms.uOffset.value.set(offset[0], offset[1], offset[2]);
      if (object.isPoints) object.geometry.setDrawRange(0, count);
      this.scene.add(object);
    }
    this.renderer.setRenderTarget(this.target);
    this.renderer.setClearColor(0x000000, 0);
    this.renderer.clear(true, false, false);
    this.renderer.render(this.scene, this.dummyCamera);
    const last = Math.max(this.glare > 0 ? this.glareOctaves : 0, this.metering ? this.meterOctave : 0);
    if (last) this.drawOctaves(last);
    if (this.glare > 0) this.toneMap.uniforms.uHalo.value = this.drawHalo();
    this.quad.material = this.toneMap;
    this.renderer.setRenderTarget(null);
    this.renderer.clear(true, false, false);
    this.renderer.render(this.screenScene, this.dummyCamera);
    if (this.overlay.children.length) {
      for (const object of this.overlay.children) object.userData.beforeRender(camera.eye, kyr);
      this.renderer.render(this.overlay, this.dummyCamera);
    }
  }
}
