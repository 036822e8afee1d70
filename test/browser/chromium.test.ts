// The order in which chromium.ts picks the browser for the browser tests: DESCENT_CHROMIUM
// (a path, a name on PATH, or `bundled`), then a system Chromium, then @sparticuz/chromium.
// Nothing is launched here; the 'bundled' case unpacks the real package (as the other browser
// tests do) and checks the binary runs.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_ARGS, bundledArgs, resolveChromium, type BundledChromium } from './chromium.js';

let dir: string;
let fakeChrome: string;
let notExecutable: string;
const fakeBundle: BundledChromium = { executable: '/fake/bundled/chromium', args: ['--no-zygote'], env: {}, packageVersion: '0.0.0' };
const bundledStub = async () => fakeBundle;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'descent-chromium-test-'));
  fakeChrome = join(dir, 'google-chrome');
  writeFileSync(fakeChrome, '#!/bin/sh\necho fake\n');
  chmodSync(fakeChrome, 0o755);
  notExecutable = join(dir, 'plain-file');
  writeFileSync(notExecutable, 'not a browser');
  chmodSync(notExecutable, 0o644);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveChromium', () => {
  it('fails with a message naming DESCENT_CHROMIUM when its path does not exist', async () => {
    const missing = join(dir, 'no-such-chromium');
    await expect(resolveChromium({ env: { DESCENT_CHROMIUM: missing }, bundled: bundledStub }))
      .rejects.toThrow(new RegExp(`DESCENT_CHROMIUM=${missing}: ${missing} does not exist`));
    await expect(resolveChromium({ env: { DESCENT_CHROMIUM: 'no-such-chromium-command', PATH: dir }, bundled: bundledStub }))
      .rejects.toThrow(/DESCENT_CHROMIUM=no-such-chromium-command: no executable named no-such-chromium-command on PATH/);
  });

  it('fails naming DESCENT_CHROMIUM when its path is not an executable file', async () => {
    await expect(resolveChromium({ env: { DESCENT_CHROMIUM: notExecutable }, bundled: bundledStub }))
      .rejects.toThrow(/DESCENT_CHROMIUM=.*plain-file is not an executable file/);
    await expect(resolveChromium({ env: { DESCENT_CHROMIUM: dir }, bundled: bundledStub }))
      .rejects.toThrow(/DESCENT_CHROMIUM=.* is not an executable file/);
  });

  it('takes an executable DESCENT_CHROMIUM (a path, or a name on PATH) over a system Chromium', async () => {
    const byPath = await resolveChromium({ env: { DESCENT_CHROMIUM: fakeChrome }, systemPaths: [fakeChrome], bundled: bundledStub });
    expect(byPath).toMatchObject({ executable: fakeChrome, source: 'env' });
    expect(byPath.args).toEqual(BASE_ARGS);
    const byName = await resolveChromium({ env: { DESCENT_CHROMIUM: 'google-chrome', PATH: dir }, bundled: bundledStub });
    expect(byName).toMatchObject({ executable: fakeChrome, source: 'env' });
  });

  it('`bundled` forces the npm Chromium even when a system one exists', async () => {
    const c = await resolveChromium({ env: { DESCENT_CHROMIUM: 'bundled', PATH: dir }, systemPaths: [fakeChrome], bundled: bundledStub });
    expect(c).toMatchObject({ executable: fakeBundle.executable, source: 'bundled' });
    expect(c.args).toEqual(['--no-zygote', ...BASE_ARGS]);
  });

  it('without DESCENT_CHROMIUM: a system path, then a command on PATH, then the npm Chromium', async () => {
    const none = join(dir, 'absent');
    expect(await resolveChromium({ env: { PATH: '/nonexistent' }, systemPaths: [fakeChrome], bundled: bundledStub }))
      .toMatchObject({ executable: fakeChrome, source: 'system' });
    expect(await resolveChromium({ env: { DESCENT_CHROMIUM: '', PATH: dir }, systemPaths: [none], systemCommands: ['chromium', 'google-chrome'], bundled: bundledStub }))
      .toMatchObject({ executable: fakeChrome, source: 'system', origin: 'google-chrome on PATH' });
    expect(await resolveChromium({ env: { PATH: dir }, systemPaths: [none], systemCommands: ['chromium'], bundled: bundledStub }))
      .toMatchObject({ executable: fakeBundle.executable, source: 'bundled' });
  });

  it('`bundled` resolves to the executable @sparticuz/chromium unpacks, and it runs', async () => {
    const sparticuz = (await import('@sparticuz/chromium')).default;
    const c = await resolveChromium({ env: { DESCENT_CHROMIUM: 'bundled' } });
    expect(c.source).toBe('bundled');
    expect(c.executable).toBe(await sparticuz.executablePath());
    expect(c.origin).toMatch(/^@sparticuz\/chromium \d+\.\d+\.\d+ \(DESCENT_CHROMIUM=bundled\)$/);
    expect(execFileSync(c.executable, ['--version'], { env: { ...process.env, ...c.env } }).toString()).toMatch(/^Chromium \d+\./);
    // the Lambda-only and security-relaxing flags are gone; the tests' own flags are there
    for (const f of ['--single-process', '--disable-web-security', '--enable-features=SharedArrayBuffer']) expect(c.args).not.toContain(f);
    expect(c.args.some((a) => a.startsWith('--headless'))).toBe(false);
    expect(c.args).toEqual(expect.arrayContaining([...BASE_ARGS]));
    expect(bundledArgs(sparticuz.args)).toContain('--no-zygote');
  });
});
