// Constellation figures in 3-D (helios/constellations.py writes constellations.json): each segment joins two
// Hipparcos stars at their places in the universe's frame, moving with them (velocity x kyr, as the stars do), so
// from the Sun the lines trace the figures and from far away they come apart.  The IAU boundaries are directions,
// drawn near the Sun only.  Drawn after the tone map as a thin
// line added to the displayed colour (clamped), with the projection of `helios render --constellations`
// (helios/render/lines.py): pixel (f x / z + W / 2, f y / z + H / 2), y down.

import * as THREE from "three";

/** The lines' colour, added to the sRGB display values (helios/render/lines.py LINE_RGB, 0-255). */
export const LINE_RGB = [38, 64, 110];
/** The IAU boundaries' colour (helios/render/lines.py BOUNDARY_RGB). */
export const BOUNDARY_RGB = [72, 40, 40];
/** The planets' orbits' colour (helios/render/lines.py ORBIT_RGB). */
export const ORBIT_RGB = [64, 58, 30];
/** Lines are clipped this far in front of the camera (pc; helios/render/lines.py NEAR_PC). */
export const NEAR_PC = 1e-6;
/** The planets' orbit lines, this far (pc; 3,100 km; lines.py ORBIT_NEAR_PC): drawn up to a camera at a planet. */
export const ORBIT_NEAR_PC = 1e-10;

// Each vertex knows both ends of its segment and clips the segment to the view frustum itself (Liang-Barsky, as
// helios/render/lines.py does): SwiftShader does not clip lines whose ends lie behind the camera, it draws them
// mirrored.  Both vertices of a segment wholly outside go to the same point off screen: nothing is drawn.  The ends
// are given relative to the eye, moved and subtracted in float64 on the CPU every frame (1,480 vertices): a camera
// on a star keeps its segments exact, as the stars' floating origin does.
const LINE_VERTEX = `
precision highp float;
in vec3 position; // the segment's start, from the eye (three.js counts the vertices by this attribute)
in vec3 end;
in float side; // 0: this vertex is the segment's start, 1: its end
uniform mat3 uRotation;
uniform float uFocal;
uniform vec2 uSize;
uniform float uNear;
void main() {
  vec3 a = uRotation * position;
  vec3 b = uRotation * end;
  vec2 halfSize = 0.5 * uSize;
  float inA[5] = float[5](a.z - uNear, halfSize.x * a.z - uFocal * a.x, halfSize.x * a.z + uFocal * a.x,
                          halfSize.y * a.z - uFocal * a.y, halfSize.y * a.z + uFocal * a.y);
  float inB[5] = float[5](b.z - uNear, halfSize.x * b.z - uFocal * b.x, halfSize.x * b.z + uFocal * b.x,
                          halfSize.y * b.z - uFocal * b.y, halfSize.y * b.z + uFocal * b.y);
  // Where each end is cut back to, as a share of the segment from a (sA, and 1 - sB from b) and its complement from b
  // (cA) and from a (cB): the point is made from the nearer end, since float32 rounds 1 - (1 - tiny) to nothing and
  // a camera on a star has the visible part of its segments within a hair of that star.
  float sA = 0.0;
  float cA = 1.0;
  float sB = 0.0;
  float cB = 1.0;
  bool outside = false;
  for (int i = 0; i < 5; i++) {
    if (inA[i] < 0.0 && inB[i] < 0.0) {
      outside = true;
    } else if (inA[i] < 0.0) {
      sA = max(sA, inA[i] / (inA[i] - inB[i]));
      cA = min(cA, inB[i] / (inB[i] - inA[i]));
    } else if (inB[i] < 0.0) {
      sB = max(sB, inB[i] / (inB[i] - inA[i]));
      cB = min(cB, inA[i] / (inA[i] - inB[i]));
    }
  }
  if (outside || (sA < 0.5 ? sA >= cB : sB >= cA)) { // nothing left between the two cuts
    gl_Position = vec4(2.0, 2.0, 0.0, 1.0);
    return;
  }
  vec3 p = side < 0.5 ? (sA < 0.5 ? a + sA * (b - a) : b + cA * (a - b)) : (sB < 0.5 ? b + sB * (a - b) : a + cB * (b - a));
  gl_Position = vec4(2.0 * uFocal * p.x / uSize.x, -2.0 * uFocal * p.y / uSize.y, 0.0, p.z);
}`;

const LINE_FRAGMENT = `
precision highp float;
uniform vec3 uColour;
out vec4 outColour;
void main() {
  outColour = vec4(uColour, 1.0);
}`;

/** `count` segments in `rgb` over the image; `place(segment, eye, kyr)` writes each segment's two ends, from the
 * eye, before a frame (its `userData.beforeRender`, which the renderer calls), or once (`fixed`: directions, the
 * same from anywhere); `shared` the renderer's uniforms; clipped `near` pc in front of the eye. */
export function lineSegments(count, rgb, shared, place, fixed = false, near = NEAR_PC) {
  const geometry = new THREE.BufferGeometry();
  // Each segment's two vertices both carry its start and its end (BufferAttribute keeps the array it is given).
  const starts = new Float32Array(6 * count);
  const ends = new Float32Array(6 * count);
  geometry.setAttribute("position", new THREE.BufferAttribute(starts, 3));
  geometry.setAttribute("end", new THREE.BufferAttribute(ends, 3));
  geometry.setAttribute("side", new THREE.Float32BufferAttribute(Array.from({ length: 2 * count }, (_, i) => i % 2), 1));
  const material = new THREE.RawShaderMaterial({
    glslVersion: THREE.GLSL3, vertexShader: LINE_VERTEX, fragmentShader: LINE_FRAGMENT,
    uniforms: { uRotation: shared.uRotation, uFocal: shared.uFocal, uSize: shared.uSize, uNear: { value: near },
      uColour: { value: new THREE.Vector3(...rgb.map((c) => c / 255)) } },
    blending: THREE.AdditiveBlending, transparent: true, depthTest: false, depthWrite: false,
  });
  const lines = new THREE.LineSegments(geometry, material);
  lines.frustumCulled = false;
  const segment = (i, a, b) => { // a, b: [x, y, z] from the eye
    for (const v of [2 * i, 2 * i + 1]) {
      starts.set(a, 3 * v);
      ends.set(b, 3 * v);
    }
  };
  const placeAll = (eye, kyr) => {
    place(segment, eye, kyr);
    geometry.attributes.position.needsUpdate = true;
    geometry.attributes.end.needsUpdate = true;
  };
  if (fixed) placeAll();
  lines.userData.beforeRender = fixed ? () => {} : placeAll;
  return lines;
}

/** The figures' segments; each end moves with its star (velocity x kyr) and is placed from the eye in float64. */
export function makeConstellationLines(document, shared) {
  const pairs = []; // per segment: start and end star, each [x, y, z, vx, vy, vz]
  for (const figure of document.figures) {
    for (const pair of figure.segments) {
      pairs.push(pair.map((hip) => {
        const star = document.stars[String(hip)];
        if (!star) throw new Error(`constellations.json: figure ${figure.id} joins HIP ${hip}, which it does not place`);
        return [...star.position_pc, ...star.velocity_pc_kyr];
      }));
    }
  }
  const fromEye = (s, eye, kyr) => [0, 1, 2].map((k) => s[k] + s[k + 3] * kyr - eye[k]);
  return lineSegments(pairs.length, LINE_RGB, shared, (segment, eye, kyr) => {
    pairs.forEach(([a, b], i) => segment(i, fromEye(a, eye, kyr), fromEye(b, eye, kyr)));
  });
}

/** The IAU boundaries: directions, drawn around the eye wherever it is (the renderer shows them near the Sun). */
export function makeBoundaryLines(document, shared) {
  const edges = document.boundaries;
  return lineSegments(edges.length, BOUNDARY_RGB, shared, (segment) => {
    edges.forEach((e, i) => segment(i, e.slice(0, 3), e.slice(3, 6)));
  }, true);
}

/** Each figure's name and centre (moved with its stars' mean velocity), for the labels. */
export function figureLabels(document) {
  return document.figures.filter((figure) => figure.centre_pc).map((figure) => {
    const stars = [...new Set(figure.segments.flat())].map((hip) => document.stars[String(hip)]);
    const velocity = [0, 1, 2].map((i) => stars.reduce((sum, s) => sum + s.velocity_pc_kyr[i], 0) / stars.length);
    return { name: figure.name, centre: figure.centre_pc, velocity };
  });
}
