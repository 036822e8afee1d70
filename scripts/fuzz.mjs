#!/usr/bin/env node
// Mutation fuzzing of descent's loaders (issue #13), against the built package (dist/: run
// `node scripts/build.mjs` first).
//
//   node scripts/fuzz.mjs [--cases N] [--seed S] [--only NAME] [--case I] [--verbose]
//
// Runs N cases (default 100,000) per target of scripts/fuzz/targets.mjs (or only NAME), each in
// a worker thread watched from here: a case that makes no progress for 10 s is a hang — the
// worker is stopped, the case reported, and the campaign resumes after it. --case I replays
// case I alone and prints its outcome. Prints the counts per target and the first findings of each kind, with the
// input (base64) and the case number to replay; exits 1 if anything was found.
// The invariants are described in scripts/fuzz/harness.mjs.
import { Worker } from 'node:worker_threads';
import { targets } from './fuzz/targets.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const only = opt('only');
const seed = Number(opt('seed', 1));
const single = opt('case');
const cases = single !== undefined ? 1 : Number(opt('cases', 100000));
const from = single !== undefined ? Number(single) : 0;
const verbose = args.includes('--verbose');
const HANG_MS = 10000, CASE_MS = 2000;
const chosen = targets.filter((t) => !only || t.name === only);
if (!chosen.length) {
  console.error(`fuzz: unknown target ${only}; known: ${targets.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

function run(target, start, n) {
  const progress = new SharedArrayBuffer(4);
  const shared = new Int32Array(progress);
  Atomics.store(shared, 0, start);
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./fuzz/worker.mjs', import.meta.url), { workerData: { target: target.name, cases: n, seed, from: start, hangMs: CASE_MS, progress } });
    let last = start, since = Date.now();
    const timer = setInterval(() => {
      const now = Atomics.load(shared, 0);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since > HANG_MS) {
        clearInterval(timer);
        w.terminate();
        resolve({ hang: now });
      }
    }, 250);
    w.on('message', (r) => { clearInterval(timer); resolve(r); });
    w.on('error', (e) => { clearInterval(timer); reject(e); });
  });
}

let failed = false;
for (const target of chosen) {
  const t0 = performance.now();
  const total = { cases: 0, accepted: 0, refused: 0, nonLibrary: 0, invalid: 0, leaks: 0, hangs: 0, costly: 0, maxRefusedSmallMs: 0, maxRefusedSmallBytes: 0 };
  const findings = [];
  let at = from;
  while (at < from + cases) {
    let r = await run(target, at, from + cases - at);
    if (r.hang !== undefined && r.hang > at) {
      // the results of the cases before the hang went down with the worker: run them again
      const hang = r.hang;
      r = await run(target, at, hang - at);
      if (r.hang === undefined) merge(r);
      r = { hang: r.hang ?? hang };
    }
    if (r.hang !== undefined) {
      total.cases++;
      total.hangs++;
      findings.push({ case: r.hang, kind: 'hangs', message: `no progress for ${HANG_MS / 1000} s` });
      at = r.hang + 1;
      continue;
    }
    merge(r);
    at = from + cases;
  }
  function merge(r) {
    for (const [k, v] of Object.entries(r.counts)) total[k] = k.startsWith('max') ? Math.max(total[k], v) : total[k] + v;
    findings.push(...r.findings);
    for (const o of r.outcomes ?? []) console.log(`case ${o.case}: ${o.outcome}${o.message ? ` (${o.message})` : ''}`);
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${target.name}: ${total.cases} cases (seed ${seed}) in ${s} s: ${total.accepted} accepted, ${total.refused} refused (DescentError); ` +
    `${total.nonLibrary} other exceptions, ${total.invalid} invalid values accepted, ${total.leaks} leaks, ${total.hangs} hangs, ${total.costly} costly refusals; ` +
    `refused inputs < 1 KiB: at most ${total.maxRefusedSmallMs.toFixed(1)} ms and ${(total.maxRefusedSmallBytes / 1e6).toFixed(2)} MB`);
  for (const f of findings) {
    console.log(`  ${f.kind} at case ${f.case} (replay: --only ${target.name} --seed ${seed} --case ${f.case}): ${f.message}${verbose && f.input ? `\n    input ${f.input}` : ''}`);
  }
  if (findings.length) failed = true;
}
process.exit(failed ? 1 : 0);
