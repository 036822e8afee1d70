// Atomic writes (issue #13, item 2): a writer killed at any moment leaves the old file or the
// new one, whole (io/atomic-file.ts), and every file the CLI writes goes through it.
//   - kill test: child processes write a 4 MB file again and again (version k: a text pattern
//     with k stamped in every 4 KiB page), SIGKILLed at seeded random moments (≥ 60 kills,
//     ≥ 20 of them between the temporary file's creation and the rename); after each kill the
//     file must be the version last reported done or the one after it, complete, and at most
//     the killed write's temporary file may be left over (the next write removes it)
//   - descent train --out/--curve killed mid-run: the model file from before survives
//   - the rest of the contract: mode kept, links followed, stale temp files removed
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { hostTag, removeStaleTempFiles, STALE_TEMP_MS, tempPrefix, writeFileAtomic } from '../src/io/atomic-file.js';
import { saveCheckpointFile, loadCheckpoint } from '../src/io/checkpoint.js';
import { Engine } from '../src/engine/engine.js';
import { loadModel } from '../src/io/model-file.js';
import { Model } from '../src/nn/model.js';
import { optimizer } from '../src/optim/optimizer.js';
import { rng } from './reference.js'; // mulberry32: the kill delays are the same on every run

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');


// Version k of the file: 4 MiB of a fixed text pattern with k stamped in the first word of
// every 4 KiB page: a partial file (length) or a mix of versions (stamps) is told apart.
const SIZE = 4 << 20;
const PAGE = 4096;
const PATTERN = 'descentjs atomic write test, version stamped per page. ';

const WRITER = `
import { writeFileAtomic } from './atomic-file.mjs';
import { createInterface } from 'node:readline';
const SIZE = ${SIZE}, PAGE = ${PAGE};
const pattern = Buffer.alloc(SIZE, ${JSON.stringify(PATTERN)});
const buf = Buffer.alloc(SIZE);
const version = (k) => {
  pattern.copy(buf);
  for (let p = 0; p < SIZE; p += PAGE) buf.writeUInt32LE(k, p);
  return buf;
};
version(0);
const target = process.argv[2];
process.stdout.write('ready\\n');
// wait for 'go <first version>', then write versions one after another until killed
createInterface({ input: process.stdin }).once('line', (line) => {
  for (let k = Number(line.split(' ')[1]); ; k++) {
    writeFileAtomic(target, version(k));
    process.stdout.write('done ' + k + '\\n');
  }
});
`;

function expected(k: number): Buffer {
  const b = Buffer.alloc(SIZE, PATTERN);
  for (let p = 0; p < SIZE; p += PAGE) b.writeUInt32LE(k, p);
  return b;
}

/** The version a file holds, or what is wrong with it. */
function versionOf(path: string, versions: Map<number, Buffer>): number | string {
  if (!existsSync(path)) return 'missing';
  const b = readFileSync(path);
  if (b.length !== SIZE) return `partial: ${b.length} of ${SIZE} bytes`;
  const k = b.readUInt32LE(0);
  if (!versions.has(k)) versions.set(k, expected(k));
  return b.equals(versions.get(k)!) ? k : `version ${k} with wrong bytes`;
}

const temps = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(tempPrefix(name)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Writer { pid: number; go(start: number): void; kill(): Promise<number[]> }

/** A writer process, started and ready (pattern built, module loaded) before it is told to go. */
async function startWriter(writer: string, target: string): Promise<Writer> {
  const child = spawn(process.execPath, [writer, target], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`the writer exited before it was ready: ${out}`)));
  });
  return {
    pid: child.pid!,
    go: (start) => child.stdin!.write(`go ${start}\n`),
    async kill() {
      child.kill('SIGKILL');
      await exited;
      return [...out.matchAll(/^done (\d+)$/gm)].map((m) => Number(m[1]));
    },
  };
}

describe('writeFileAtomic', () => {
  it('SIGKILL at ≥ 60 random moments of 4 MB writes (≥ 20 inside a write): the old or the new file, whole, every time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-atomic-'));
    const writer = join(dir, 'writer.mjs');
    buildSync({ entryPoints: [join(root, 'src/io/atomic-file.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'atomic-file.mjs'), logLevel: 'error' });
    writeFileSync(writer, WRITER);
    const name = 'weights.bin';
    const target = join(dir, name);
    const versions = new Map<number, Buffer>();
    writeFileAtomic(target, expected(0)); // version 0, written here through the same function
    expect(versionOf(target, versions)).toBe(0);

    // kill moments scale with how long a write takes here and now (the machine may be busy)
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      writeFileAtomic(target, expected(0));
      times.push(performance.now() - t0);
    }
    const writeMs = Math.max(5, times.sort((a, b) => a - b)[1]);
    const random = rng(13);
    // at least 60 kills and at least 20 of them inside a write (between the temporary file's
    // creation and the rename); more kills where too few landed there, up to 150
    const MIN_KILLS = 60;
    const MIN_INSIDE = 20;
    const MAX_KILLS = 150;
    const POOL = 4; // writers start while earlier ones run: Node's start-up is not on the clock
    const pool = [startWriter(writer, target)];
    let kills = 0;
    let version = 0;
    let midWrite = 0; // kills that left the killed writer's temporary file: it died between open and rename
    let completed = 0; // writes reported done before a kill
    const bad: string[] = [];
    let stray = 0;
    while (kills < MAX_KILLS && (kills < MIN_KILLS || midWrite < MIN_INSIDE)) {
      while (pool.length < POOL) pool.push(startWriter(writer, target));
      const w = await pool.shift()!;
      const delay = random() * 3 * writeMs;
      w.go(version + 1);
      await sleep(delay);
      const done = await w.kill();
      const n = kills++;
      completed += done.length;
      versions.forEach((_, k) => { if (k < version) versions.delete(k); });
      const last = done.length ? done[done.length - 1] : version;
      const v = versionOf(target, versions);
      if (v !== last && v !== last + 1) bad.push(`kill ${n} after ${delay.toFixed(1)} ms: ${typeof v === 'number' ? `version ${v}, expected ${last} or ${last + 1}` : v}`);
      const left = temps(dir, name);
      if (left.some((f) => f.includes(`-${w.pid}-`))) midWrite++;
      // a write that completed removed the temporary files of the writers killed before it
      const allowed = done.length ? 1 : stray + 1;
      if (left.length > allowed) bad.push(`kill ${n}: ${left.length} temporary files, at most ${allowed} expected`);
      stray = left.length;
      if (typeof v === 'number') version = v;
    }
    for (const w of pool) await (await w).kill();
    expect(bad).toEqual([]);
    // the kills landed inside writes, not only between them
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(midWrite).toBeGreaterThanOrEqual(MIN_INSIDE);
    expect(completed).toBeGreaterThan(0);
    // the next successful write removes what the killed writers left
    writeFileAtomic(target, expected(0));
    expect(temps(dir, name)).toEqual([]);
    expect(versionOf(target, versions)).toBe(0);
    console.log(`atomic-write: ${kills} kills (delays 0–${(3 * writeMs).toFixed(0)} ms), ${midWrite} inside a write (temporary file left), ${completed} writes completed, 0 files lost or partial`);
  }, 150_000);

  it('keeps the mode of the file it replaces, follows links, writes strings as UTF-8', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-atomic-'));
    const f = join(dir, 'a.csv');
    writeFileAtomic(f, 'x,y\n1,2\n');
    expect(readFileSync(f, 'utf8')).toBe('x,y\n1,2\n');
    chmodSync(f, 0o640);
    writeFileAtomic(f, 'é\n');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(readFileSync(f, 'utf8')).toBe('é\n');
    const link = join(dir, 'link.csv');
    symlinkSync(f, link);
    writeFileAtomic(link, new Uint8Array([1, 2, 3]));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).sort()).toEqual(['a.csv', 'link.csv']);
    expect(() => writeFileAtomic(dir, 'x')).toThrow(/is a folder/);
    expect(() => writeFileAtomic(join(dir, 'no', 'such', 'f'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(['a.csv', 'link.csv']);
    // without node:fs (a browser): a library error, nothing touched
    const proc = process as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      expect(() => writeFileAtomic(f, 'x')).toThrow(/needs node:fs/);
    } finally {
      proc.getBuiltinModule = saved;
    }
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
  });

  it('removes temporary files of dead writers and any older than an hour, never a live writer\'s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-atomic-'));
    const f = join(dir, 'm.safetensors');
    const p = tempPrefix('m.safetensors');
    const host = hostTag();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited and reaped
    const live = process.ppid;
    const files = {
      dead: `${p}${host}-${dead}-aa`, // a killed writer of this host: removed
      live: `${p}${host}-${live}-bb`, // a writer of this host still running: kept
      other: `${p}otherhost-${dead}-cc`, // another host's, fresh: kept (its pid means nothing here)
      otherOld: `${p}otherhost-${dead}-dd`, // another host's, over an hour old: removed
      liveOld: `${p}${host}-${live}-ee`, // over an hour old: removed whoever wrote it
    };
    for (const name of Object.values(files)) writeFileSync(join(dir, name), 'x');
    const old = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(join(dir, files.otherOld), old, old);
    utimesSync(join(dir, files.liveOld), old, old);
    writeFileSync(join(dir, 'other.tmp-1'), 'x'); // not a temporary file of m.safetensors
    writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(dir).sort()).toEqual([files.live, files.other, 'm.safetensors', 'other.tmp-1'].sort());
    expect(removeStaleTempFiles(f)).toEqual([]);
  });

  it('saveCheckpointFile writes a checkpoint that loads', () => {
    const engine = Engine.createSync({ isa: 'simd' });
    const model = new Model(engine, { inputs: 3, layers: [{ units: 4, activation: 'tanh' }, { units: 2 }], loss: 'softmax-cross-entropy', seed: 1 });
    const opt = optimizer('adam', { lr: 0.01 });
    opt.bind(model);
    const dir = mkdtempSync(join(tmpdir(), 'descent-atomic-'));
    const f = join(dir, 'run.ckpt');
    const bytes = saveCheckpointFile(f, model, opt, { epoch: 2, step: 30 });
    expect(new Uint8Array(readFileSync(f))).toEqual(bytes);
    const back = loadCheckpoint(engine, new Uint8Array(readFileSync(f)));
    expect(back.progress).toEqual({ epoch: 2, step: 30 });
    expect(back.model.parameters().toArray()).toEqual(model.parameters().toArray());
    expect(readdirSync(dir)).toEqual(['run.ckpt']);
  });
});

describe('the CLI writes atomically', () => {
  it('descent train killed mid-run leaves the model file from before, or the new one, whole', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
    expect(readFileSync(cli, 'utf8').includes('tempPrefix'), 'dist/cli.js predates io/atomic-file.ts: rebuild').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'descent-atomic-cli-'));
    const args = ['train', '--epochs', '1', '--layers', '64-32-10', '--quiet', '--out', 'm.safetensors', '--curve', 'c.svg'];
    const first = spawnSync(process.execPath, [cli, ...args, '--seed', '1'], { cwd: dir, encoding: 'utf8' });
    expect(first.status, first.stderr).toBe(0);
    const before = readFileSync(join(dir, 'm.safetensors'));
    const engine = Engine.createSync({ isa: 'simd' });
    const random = rng(7);
    let replaced = 0;
    for (let n = 0; n < 8; n++) {
      const child = spawn(process.execPath, [cli, ...args, '--seed', String(2 + n)], { cwd: dir, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      await sleep(150 + random() * 700);
      child.kill('SIGKILL');
      await exited;
      const now = readFileSync(join(dir, 'm.safetensors'));
      if (!now.equals(before)) replaced++;
      const model = loadModel(engine, new Uint8Array(now), 'm.safetensors'); // whole, old or new
      expect(model.describe()).toContain('64 → 32 tanh → 10 linear');
      model.release();
      const svg = readFileSync(join(dir, 'c.svg'), 'utf8');
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(temps(dir, 'm.safetensors').length + temps(dir, 'c.svg').length).toBeLessThanOrEqual(1);
    }
    const last = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
    expect(last.status, last.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['c.svg', 'm.safetensors']);
    console.log(`atomic-write CLI: 8 kills of descent train, ${replaced} after it had written a new model, the model file whole every time`);
  }, 60_000);
});
