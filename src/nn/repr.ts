/** Python's repr of a float, for PyTorch-style layer reprs: `0.1`, `1.0`, `1e-05`, `None` for null. */
export function pyFloat(v: number | null): string {
  if (v === null) return 'None';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    // Python writes the shortest round-trip digits with a signed, two-digit exponent.
    const [mant, exp] = v.toExponential().split('e');
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}
