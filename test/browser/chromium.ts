/**
 * What the browser tests share: a static HTTP server over one folder (symlinks followed, nothing outside the
 * folder served) and headless Debian Chromium through playwright-core. /usr/bin/chromium comes from
 * `apt-get install chromium` (.ci/run installs it); CHROMIUM_PATH overrides. A missing one fails with the fix.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// No sandbox (containers), no GPU, and no traffic of Chromium's own (QUIC, updates, sync): on a closed network those
// connections are refused and only slow the start.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.map': 'application/json' };

/** The README's esbuild command, run by bundlers.test.ts (readme.test.ts checks the README shows it verbatim). */
export const ESBUILD_COMMAND = 'npx esbuild main.js --bundle --format=esm --loader:.wasm=file --outdir=dist';

export interface Browser {
  /** http://127.0.0.1:<port>/ serving the folder. */
  readonly url: string;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile (its own --user-data-dir), removed again by `close`. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH`);
  const profile = mkdtempSync(join(tmpdir(), 'descent-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Serves `root` (plus a blank /__test__.html page) and starts Chromium. `isolated` adds the headers that make
 * pages cross-origin isolated (COOP same-origin, COEP require-corp), so SharedArrayBuffer and wasm threads exist.
 */
export async function openBrowser(root: string, { isolated = false } = {}): Promise<Browser> {
  const isolation: Record<string, string> = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const inside = root.endsWith(sep) ? root : root + sep;
  const server: Server = createServer((req, res) => {
    let path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (path.endsWith(`${sep}favicon.ico`)) {
      res.writeHead(204).end();
      return;
    }
    if (path.endsWith(`${sep}__test__.html`)) {
      res.writeHead(200, { 'content-type': 'text/html', ...isolation }).end('<!doctype html><meta charset="utf-8"><title>descent</title>');
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!path.startsWith(inside) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', ...isolation }).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    context: browser.context,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
