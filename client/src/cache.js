// A least-recently-used cache of loaded cells under a byte budget.  Cells in the current view are
// never evicted; when they alone exceed the budget, no more cells are loaded (the HUD says so).

export class CellCache {
  constructor(budgetBytes, onEvict = () => {}) {
    this.budgetBytes = budgetBytes;
    this.onEvict = onEvict;
    this.entries = new Map(); // id -> {value, bytes}; Map order is recency order
    this.bytes = 0;
    this.peakBytes = 0;
    this.evictions = 0;
  }

  has(id) {
    return this.entries.has(id);
  }

  get(id) {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  /** Whether `bytes` more fit after evicting cells not in `keep` (a Set of ids). */
  makeRoom(bytes, keep) {
    for (const [id, entry] of this.entries) {
      if (this.bytes + bytes <= this.budgetBytes) break;
      if (keep.has(id)) continue;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
      this.evictions += 1;
      this.onEvict(id, entry.value);
    }
    return this.bytes + bytes <= this.budgetBytes;
  }

  set(id, value, bytes) {
    if (this.entries.has(id)) this.bytes -= this.entries.get(id).bytes;
    this.entries.delete(id);
    this.entries.set(id, { value, bytes });
    this.bytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.bytes);
  }
}
