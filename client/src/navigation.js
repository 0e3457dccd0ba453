// Moving the camera: orbit about an anchor (a landmark), free flight at a speed regime, and warps
// (eased flights to a landmark).  Pure state and arithmetic in float64; the page feeds it input.

import { add, lookAt, norm, normalize, scale, sub, turn } from "./camera.js";
import { minimumDistance, viewingDistance } from "./landmarks.js";

/** Free-flight speeds (pc per second) and their names: the Q and E keys step through them. */
export const SPEED_REGIMES = [
  { name: "planetary", pcPerSecond: 1e-7 }, // about 3,100 km/s: 1 AU in 49 s
  { name: "stellar", pcPerSecond: 1e-3 },
  { name: "cluster", pcPerSecond: 1 },
  { name: "galactic", pcPerSecond: 1e3 },
  { name: "intergalactic", pcPerSecond: 1e6 },
];

const smoothstep = (t) => t * t * (3 - 2 * t);

/** Seconds a warp takes: 3 s, up to 10 s for a change of scale of ten orders of magnitude. */
export function warpDuration(fromDistance, toDistance) {
  const decades = Math.abs(Math.log10(Math.max(fromDistance, 1e-12) / Math.max(toDistance, 1e-12)));
  return 3 + 7 * Math.min(1, decades / 10);
}

export class Navigator {
  constructor(eye, basis) {
    this.eye = eye.slice();
    this.basis = basis;
    this.anchor = null; // a landmark ({name, position, category}) the camera orbits, or null: free flight
    this.regime = 2;
    this.warp = null;
    this.up = [0, 0, 1];
  }

  get speed() {
    return SPEED_REGIMES[this.regime].pcPerSecond;
  }

  setRegime(step) {
    this.regime = Math.max(0, Math.min(SPEED_REGIMES.length - 1, this.regime + step));
  }

  /** Drag by (dx, dy) radians: orbit the anchor, or look around in free flight. */
  drag(dx, dy) {
    if (this.warp) return;
    if (this.anchor) {
      const centre = this.anchor.position;
      const distance = norm(sub(this.eye, centre));
      this.basis = turn(this.basis, -dx, dy);
      this.eye = sub(centre, scale(this.basis.forward, distance));
    } else {
      this.basis = turn(this.basis, dx, -dy);
    }
  }

  /** Zoom by a factor (> 1 moves away): towards the anchor, clamped to its limits; else along the view. */
  zoom(factor, freeStepPc = this.speed) {
    if (this.warp) return;
    if (this.anchor) {
      const centre = this.anchor.position;
      const distance = norm(sub(this.eye, centre));
      const wanted = Math.max(minimumDistance(this.anchor), distance * factor);
      this.eye = sub(centre, scale(this.basis.forward, wanted));
    } else {
      this.eye = add(this.eye, scale(this.basis.forward, (factor < 1 ? 1 : -1) * freeStepPc));
    }
  }

  /** Free flight for `seconds` along (right, down, forward) in units of the regime's speed; leaves the anchor. */
  fly(direction, seconds) {
    if (this.warp || (!direction[0] && !direction[1] && !direction[2])) return;
    this.anchor = null;
    const step = this.speed * seconds;
    const { right, down, forward } = this.basis;
    this.eye = add(this.eye, add(scale(right, direction[0] * step), add(scale(down, direction[1] * step), scale(forward, direction[2] * step))));
  }

  look(yaw, pitch) {
    if (!this.warp) this.basis = turn(this.basis, yaw, pitch);
  }

  /** Start an eased flight to `landmark`, ending `viewingDistance` from it, looking at it
   * (`seconds`: its duration; default from the change of scale, warpDuration). */
  warpTo(landmark, now, seconds = null) {
    const target = landmark.position;
    let away = sub(this.eye, target);
    const fromDistance = norm(away);
    if (!(fromDistance > 0)) away = scale(this.basis.forward, -1);
    const toDistance = viewingDistance(landmark);
    this.warp = {
      landmark, start: now, duration: (seconds ?? warpDuration(fromDistance, toDistance)) * 1000,
      fromEye: this.eye.slice(), fromForward: this.basis.forward, direction: normalize(away),
      fromDistance: Math.max(fromDistance, 1e-12), toDistance,
    };
    return this.warp;
  }

  /** Where the camera will be when the running warp ends (for prefetching), or null. */
  warpDestination() {
    if (!this.warp) return null;
    const { landmark, direction, toDistance } = this.warp;
    return { eye: add(landmark.position, scale(direction, toDistance)), target: landmark.position };
  }

  /** Advance a running warp to time `now` (ms); true while it runs. */
  step(now) {
    if (!this.warp) return false;
    const w = this.warp;
    const t = Math.min(1, (now - w.start) / w.duration);
    const eased = smoothstep(t);
    // Distance to the target eased in its logarithm: every scale passes at the same pace.
    const distance = Math.exp(Math.log(w.fromDistance) + (Math.log(w.toDistance) - Math.log(w.fromDistance)) * eased);
    const target = w.landmark.position;
    // The camera runs straight along the line from the target through where the warp started.
    this.eye = add(target, scale(w.direction, distance));
    const look = smoothstep(Math.min(1, t / 0.3));
    const toward = normalize(sub(target, this.eye));
    const forward = normalize(add(scale(w.fromForward, 1 - look), scale(toward, look)));
    try {
      this.basis = lookAt([0, 0, 0], forward, this.up);
    } catch {
      // Looking straight along `up`: keep the previous roll.
    }
    if (t >= 1) {
      this.basis = lookAt(this.eye, target, this.up);
      this.anchor = w.landmark;
      this.warp = null;
    }
    return true;
  }
}
