// One fuzz campaign in a worker thread, so that scripts/fuzz.mjs can stop a case that hangs.
// workerData: { target, cases, seed, from, hangMs }; progress: the index of the case running,
// in workerData.progress (Int32Array over a SharedArrayBuffer); posts { counts, findings }.
import { parentPort, workerData } from 'node:worker_threads';
import * as d from '../../dist/node/index.js';
import { campaign } from './harness.mjs';
import { targets } from './targets.mjs';

const { target: name, cases, seed, from, hangMs, progress } = workerData;
const target = targets.find((t) => t.name === name);
const engine = d.createEngineSync();
const shared = new Int32Array(progress);
const outcomes = [];
// a single case (--case): its outcome is printed
const onOutcome = cases === 1 ? (i, outcome, message) => outcomes.push({ case: i, outcome, message: message.slice(0, 400) }) : undefined;
const opts = { cases, seed, from, hangMs, onCase: (i) => Atomics.store(shared, 0, i), onOutcome };
// An async loader (parseIdx) brings its own campaign: the same counts with the loader awaited.
const result = target.async ? await target.campaign(d, engine, opts) : campaign(d, engine, target, opts);
parentPort.postMessage({ ...result, outcomes });
