// Timing helpers shared by the benchmarks.

import { existsSync, readFileSync } from 'node:fs';

/** The median of xs (mean of the middle two for an even count). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** ms per call of fn: repeats it until at least minMs have passed in one timed batch. */
export function timeIt(fn, minMs = 60) {
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= minMs) return dt / reps;
    reps = Math.max(reps * 2, Math.ceil(reps * minMs / Math.max(dt, 0.01)));
  }
}

// ---- how busy the machine is, besides us ----
// /proc/stat counts busy time of every core in USER_HZ ticks; this process's own CPU time comes
// from process.cpuUsage() (every thread, workers included), and a helper process's (a PyTorch
// subprocess) from /proc/PID/stat. What is left is other processes: "others" in the benches.
const HZ = 100; // USER_HZ
const hasProc = existsSync('/proc/stat');

/** A CPU-time snapshot (undefined without /proc); helperPid: a child whose time is ours too. */
export function cpuNow(helperPid = 0) {
  if (!hasProc) return undefined;
  const f = readFileSync('/proc/stat', 'utf8');
  const v = f.slice(0, f.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] || 0); // user nice system irq softirq steal
  const u = process.cpuUsage();
  let py = 0;
  if (helperPid) {
    try {
      const st = readFileSync(`/proc/${helperPid}/stat`, 'utf8');
      const fld = st.slice(st.lastIndexOf(')') + 2).split(' ');
      py = (Number(fld[11]) + Number(fld[12])) * 1000 / HZ;
    } catch { /* gone */ }
  }
  return { t: performance.now(), busyMs: busy * 1000 / HZ, selfMs: (u.user + u.system) / 1000, pyMs: py };
}

/** Cores used by other processes between two snapshots (NaN without /proc). */
export const othersBetween = (a, b) => (a && b ? Math.max(0, ((b.busyMs - a.busyMs) - (b.selfMs - a.selfMs) - (b.pyMs - a.pyMs)) / (b.t - a.t)) : NaN);
