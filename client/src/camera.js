// A pinhole camera in float64, with the meaning of helios/cameras.py `pinhole`: at `eye` looking at
// `target`, `up` towards the top of the image, `fov` the horizontal field of view; image x grows to the
// right and y downwards, pixel centres at half-integers.  Positions are pc in the universe's frame.
// The GPU never sees these numbers whole: each cell is drawn at (its centre - eye), computed here in
// float64 (the floating origin, docs/client.md).

export const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const add = (a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const scale = (a, s) => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const norm = (a) => Math.hypot(a[0], a[1], a[2]);
export const normalize = (a) => scale(a, 1 / norm(a));
/** `v` turned by the rows of a 3 x 3 matrix (site.json's icrs_to_frame: ICRS into the universe's frame); null: as it is. */
export const turnInto = (rows, v) => (rows ? rows.map((row) => dot(row, v)) : v);
export const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Camera basis: rows right, down, forward (the rows of helios's view matrix). Throws like pinhole(). */
export function lookAt(eye, target, up = [0, 0, 1]) {
  const offset = sub(target, eye);
  if (!(norm(offset) > 0)) throw new Error("the camera looks at its own position: give a look-at point away from it");
  const forward = normalize(offset);
  const side = cross(forward, up);
  if (!(norm(side) > 1e-9 * Math.max(1, norm(up)))) {
    throw new Error(`the up vector ${JSON.stringify(up)} is parallel to the viewing direction`);
  }
  const right = normalize(side);
  const down = cross(forward, right);
  return { right, down, forward };
}

export class Camera {
  constructor(eye, basis, fovDeg, width, height) {
    if (!(fovDeg > 0 && fovDeg < 180)) throw new Error(`field of view ${fovDeg} degrees: it must be between 0 and 180`);
    this.eye = eye.slice();
    this.basis = basis;
    this.fovDeg = fovDeg;
    this.width = width;
    this.height = height;
  }

  static looking(eye, target, fovDeg, width, height, up = [0, 0, 1]) {
    return new Camera(eye, lookAt(eye, target, up), fovDeg, width, height);
  }

  get focal() {
    return (0.5 * this.width) / Math.tan((this.fovDeg * Math.PI) / 360);
  }

  /** Camera coordinates (right, down, forward) of a point in the universe's frame. */
  toCamera(point) {
    const p = sub(point, this.eye);
    return [dot(this.basis.right, p), dot(this.basis.down, p), dot(this.basis.forward, p)];
  }

  /** Pixel coordinates (u to the right, v downwards) of a point, or null behind the camera. */
  project(point) {
    const [x, y, z] = this.toCamera(point);
    if (!(z > 0)) return null;
    return [(this.focal * x) / z + this.width / 2, (this.focal * y) / z + this.height / 2];
  }

  /** Whether a sphere (a cell's bounding sphere, widened by `reachPx` pixels) meets the view:
   * helios/render/sky.py `_sphere_in_view`, so the client loads what `helios render` draws. */
  seesSphere(centre, radius, reachPx) {
    const c = this.toCamera(centre);
    const distance = norm(c);
    if (distance <= radius) return true;
    const f = this.focal;
    const halfX = Math.atan((this.width / 2 + reachPx) / f);
    const halfY = Math.atan((this.height / 2 + reachPx) / f);
    const halfDiagonal = Math.atan(Math.hypot(Math.tan(halfX), Math.tan(halfY)));
    const angleToCentre = Math.acos(Math.max(-1, Math.min(1, c[2] / distance)));
    return angleToCentre - Math.asin(Math.min(1, radius / distance)) <= halfDiagonal;
  }

  /** The 3 x 3 rotation, row-major rows right, down, forward (what the shaders take). */
  rotationRows() {
    return [...this.basis.right, ...this.basis.down, ...this.basis.forward];
  }
}

/** Turn the basis by `yaw` about its down axis and `pitch` about its right axis (radians); `roll` about forward. */
export function turn(basis, yaw, pitch, roll = 0) {
  const rotate = (v, axis, angle) => {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const k = cross(axis, v);
    const d = dot(axis, v) * (1 - c);
    return [v[0] * c + k[0] * s + axis[0] * d, v[1] * c + k[1] * s + axis[1] * d, v[2] * c + k[2] * s + axis[2] * d];
  };
  let { right, down, forward } = basis;
  forward = rotate(forward, down, yaw);
  right = rotate(right, down, yaw);
  forward = rotate(forward, right, pitch);
  down = rotate(down, right, pitch);
  right = rotate(right, forward, roll);
  down = rotate(down, forward, roll);
  // Re-orthonormalise against drift.
  forward = normalize(forward);
  right = normalize(cross(forward, cross(right, forward)));
  down = cross(forward, right);
  return { right, down, forward };
}
