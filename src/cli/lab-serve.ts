/**
 * `descent lab serve`: a static file server for the lab page (dist/lab-web/) on 127.0.0.1. It sends the
 * cross-origin isolation headers (COOP same-origin, COEP require-corp) under which browsers allow
 * SharedArrayBuffer, so a threaded wasm backend can run in the page; the right MIME types (application/wasm
 * for streaming compilation); and nothing outside its folder: `..`, encoded separators, NUL bytes and symlinks
 * leading out are refused.
 */
import { fs, http, path, type HttpModule } from '../node.js';

type Server = ReturnType<HttpModule['createServer']>;
type IncomingMessage = InstanceType<HttpModule['IncomingMessage']>;
type ServerResponse = InstanceType<HttpModule['ServerResponse']>;

/** MIME types of the files a static build holds. */
export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers on every response: cross-origin isolation, no MIME sniffing, no caching of a page under development. */
const COMMON_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

/** The file under `root` a request path names, or null when it names nothing inside `root`. */
export function resolveInside(root: string, requestPath: string): string | null {
  const p = path(), f = fs();
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  // Encoded separators and NULs never name a file of a static build; '..' segments are refused rather than resolved.
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((s) => s === '..')) return null;
  const base = f.realpathSync(root);
  let file = p.resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  if (file !== base && !file.startsWith(base + p.sep)) return null;
  if (!f.existsSync(file)) return null;
  // Symlinks may point anywhere: judge the real path.
  file = f.realpathSync(file);
  if (file !== base && !file.startsWith(base + p.sep)) return null;
  if (f.statSync(file).isDirectory()) {
    file = p.join(file, 'index.html');
    if (!f.existsSync(file)) return null;
  }
  return file;
}

function handle(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...COMMON_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  let pathname: string;
  try {
    pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    pathname = '';
  }
  const file = pathname ? resolveInside(root, pathname) : null;
  if (!file) {
    res.writeHead(404, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const body = fs().readFileSync(file);
  res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': MIME_TYPES[path().extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A running server: its URL (`http://127.0.0.1:PORT/`) and how to stop it. */
export interface LabServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1:`port` (0: any free port). */
export async function serveDirectory(root: string, port: number): Promise<LabServer> {
  const server = http().createServer((req, res) => handle(root, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: actual } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${actual}/`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
