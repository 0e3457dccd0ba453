// The overlays: breadcrumb (anchor, distance from it, distance to the Sun), landmark search, exposure
// and time controls, status line, labels and error messages.  `hud=0` in the URL hides all of them.

import { SPEEDS, formatDate, parseEpoch } from "./clock.js";

const AU_PC = 4.84813681109536e-6;
const LIGHT_YEAR_PC = 0.306601394;

/** A distance in pc as people say it: AU near the Sun, then pc, kpc, Mpc. */
export function formatDistance(pc) {
  if (!Number.isFinite(pc)) return "-";
  if (pc < 0.05) return `${(pc / AU_PC).toPrecision(3)} AU`;
  if (pc < 1e3) return `${pc.toPrecision(3)} pc (${(pc / LIGHT_YEAR_PC).toPrecision(3)} ly)`;
  if (pc < 1e6) return `${(pc / 1e3).toPrecision(3)} kpc`;
  return `${(pc / 1e6).toPrecision(3)} Mpc`;
}

/** Straight-line motion is trustworthy for tens of kyr (docs/motion.md); beyond, the note says so. */
export const TRUSTED_KYR = 20;

export class Hud {
  constructor(root, { onSearch, onPick, onMagnitude, onAutoExposure, onEpoch, onClock, onScreenshot, onRecord, onTourFile }) {
    this.root = root;
    this.el = (id) => root.querySelector(`#${id}`);
    this.labels = this.el("labels");
    this.labelNodes = new Map();
    this.nameNodes = new Map();
    this.onPick = onPick;
    const search = this.el("search");
    const results = this.el("results");
    this.el("star-close").addEventListener("click", () => this.showStar(null));
    this.refreshSearch = () => search.dispatchEvent(new Event("input"));
    search.addEventListener("input", () => {
      const found = onSearch(search.value);
      results.replaceChildren(...found.map((mark) => {
        const item = document.createElement("li");
        item.textContent = mark.label ?? mark.name;
        if (mark.none) item.className = "none";
        item.addEventListener("click", () => { results.replaceChildren(); search.value = ""; onPick(mark); });
        return item;
      }));
      if (!found.length && search.value.trim()) { // an unknown name says so
        const none = document.createElement("li");
        none.className = "none";
        none.textContent = `no landmark or star matches "${search.value.trim()}"`;
        results.replaceChildren(none);
      }
    });
    search.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Enter" && results.firstChild && !results.firstChild.classList.contains("none")) results.firstChild.click();
      if (event.key === "Escape") { search.value = ""; results.replaceChildren(); search.blur(); }
    });
    this.el("mag").addEventListener("input", (event) => onMagnitude(Number(event.target.value)));
    this.el("auto-exposure").addEventListener("change", (event) => onAutoExposure(event.target.checked));
    this.el("epoch").addEventListener("input", (event) => onEpoch(Number(event.target.value)));
    const speed = this.el("speed");
    speed.replaceChildren(...SPEEDS.map(({ label }, k) => Object.assign(document.createElement("option"), { value: k, textContent: label })));
    speed.addEventListener("change", () => onClock({ speed: Number(speed.value) }));
    for (const [id, change] of [["play", { toggle: true }], ["reverse", { reverse: true }]]) {
      this.el(id).addEventListener("click", (event) => { event.currentTarget.blur(); onClock(change); }); // keys go to the sky again
    }
    const date = this.el("date");
    date.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key !== "Enter") return;
      const year = parseEpoch(date.value);
      const ok = year !== null && Math.abs(year) <= 1e6; // as the URL's epoch=
      date.classList.toggle("bad", !ok);
      if (ok) onEpoch(year);
    });
    this.el("screenshot").addEventListener("click", () => onScreenshot());
    this.el("record").addEventListener("click", () => onRecord());
    this.el("tour-file").addEventListener("change", (event) => {
      const [file] = event.target.files;
      if (file) onTourFile(file);
      event.target.value = "";
    });
  }

  setVisible(visible) {
    this.root.classList.toggle("hidden", !visible);
  }

  /** The limiting magnitude in force (`auto`: set by the eye's adaptation) and the epoch. */
  setControls(mag, epoch, packEpoch, auto = false) {
    const magInput = this.el("mag");
    magInput.value = mag;
    this.el("mag-value").textContent = `${mag.toFixed(1)}${auto ? " (adapted)" : ""}`;
    this.el("auto-exposure").checked = auto;
    const epochInput = this.el("epoch");
    epochInput.min = packEpoch - 100000;
    epochInput.max = packEpoch + 100000;
    epochInput.value = epoch;
    this.el("epoch-value").textContent = `${Math.round(epoch)} (${epoch >= packEpoch ? "+" : ""}${((epoch - packEpoch) / 1000).toFixed(1)} kyr)`;
    const far = Math.abs(epoch - packEpoch) / 1000 > TRUSTED_KYR;
    this.el("epoch-note").textContent = far
      ? `Beyond ±${TRUSTED_KYR} kyr straight-line motion drifts from the stars' true paths (the Galaxy's pull bends them): a sketch, not a prediction.`
      : epoch !== packEpoch ? "Trained levels belong to the catalogue's epoch: away from it every star is a point." : "";
  }

  setBreadcrumb(anchorName, fromAnchor, fromSun, regime) {
    const place = anchorName.replace(/^near /, "");
    const where = fromAnchor < 1e-9 ? `at ${place === "Sun" ? "the Sun" : place}` : `${anchorName} • ${formatDistance(fromAnchor)} from it`;
    const sun = fromSun < 1e-9 || (fromAnchor < 1e-9 && place === "Sun") ? "" : ` • ${formatDistance(fromSun)} from the Sun`;
    this.el("crumb").textContent = `${where}${sun} • speed: ${regime}`;
  }

  /** The record button's state: recording or not. */
  setRecording(on) {
    const button = this.el("record");
    button.classList.toggle("on", on);
    button.textContent = on ? "Stop and save tour" : "Record tour";
  }

  /** The click-a-star panel: `star` (catalogue.js describe) with a button that flies there, or null to close it. */
  showStar(star, onFly = null) {
    const panel = this.el("star");
    panel.hidden = !star;
    if (!star) return;
    this.el("star-title").textContent = star.title;
    const rows = this.el("star-rows");
    rows.replaceChildren(...star.rows.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }));
    const fly = this.el("star-fly");
    fly.onclick = onFly;
    fly.hidden = !onFly;
  }

  /** The clock: the date shown (unless its field is being edited), playing or not, its speed and direction. */
  setTime(year, clock) {
    const date = this.el("date");
    if (document.activeElement !== date) {
      date.value = formatDate(year);
      date.classList.remove("bad");
    }
    this.el("play").textContent = clock.playing ? "⏸" : "▶";
    this.el("speed").value = clock.speed;
    this.el("reverse").classList.toggle("on", clock.direction < 0);
  }

  /** A note under the epoch about the solar system ("" for none). */
  setSolarNote(text) {
    this.el("solar-note").textContent = text;
  }

  setStatus(text) {
    this.el("status").textContent = text;
  }

  showError(message) {
    const box = this.el("error");
    box.textContent = message;
    box.hidden = false;
  }

  /** Place labels: [{mark, u, v}] in CSS pixels. */
  placeLabels(placed) {
    const seen = new Set();
    for (const { mark, u, v } of placed) {
      let node = this.labelNodes.get(mark.name);
      if (!node) {
        node = document.createElement("div");
        node.className = "label";
        node.textContent = mark.name;
        node.addEventListener("click", () => this.onPick(mark));
        this.labels.appendChild(node);
        this.labelNodes.set(mark.name, node);
      }
      node.style.transform = `translate(${u.toFixed(1)}px, ${v.toFixed(1)}px)`;
      seen.add(mark.name);
    }
    for (const [name, node] of this.labelNodes) {
      if (!seen.has(name)) {
        node.remove();
        this.labelNodes.delete(name);
      }
    }
  }

  /** Place the constellations' names: [{name, u, v}] in CSS pixels (centred on the point); [] removes them. */
  placeNames(placed) {
    const seen = new Set();
    for (const { name, u, v } of placed) {
      let node = this.nameNodes.get(name);
      if (!node) {
        node = document.createElement("div");
        node.className = "figure-name";
        node.textContent = name;
        this.labels.appendChild(node);
        this.nameNodes.set(name, node);
      }
      node.style.transform = `translate(-50%, -50%) translate(${u.toFixed(1)}px, ${v.toFixed(1)}px)`;
      seen.add(name);
    }
    for (const [name, node] of this.nameNodes) {
      if (!seen.has(name)) {
        node.remove();
        this.nameNodes.delete(name);
      }
    }
  }
}
