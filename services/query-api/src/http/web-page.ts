/**
 * The shoppers' web page served from memory: its few files are read once at start-up, so a GET
 * costs no file-system call. serve-static stat()s on libuv's thread pool for every GET it sees
 * (probes and API calls included, as it falls through); with photos decoding on that pool, the
 * page and /healthz waited behind them (issue 16).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface WebFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The files of `dir` (not its sub-folders), each at `/<name>`, and `index.html` at `/` too. */
export function loadWebPage(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const contentType = CONTENT_TYPES[path.extname(entry.name)];
    if (!entry.isFile() || entry.name.startsWith('.') || !contentType) continue;
    const body = readFileSync(path.join(dir, entry.name));
    files.set(`/${entry.name}`, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  const index = files.get('/index.html');
  if (!index) throw new Error(`the web page has no index.html in ${dir}`);
  files.set('/', index);
  return files;
}

/** Express middleware answering GET and HEAD of the page's files; anything else passes on untouched. */
export function webPageFromMemory(files: Map<string, WebFile>, maxAgeSeconds: number) {
  return (request: Request, response: Response, next: NextFunction) => {
    const file = request.method === 'GET' || request.method === 'HEAD' ? files.get(request.path) : undefined;
    if (!file) {
      next();
      return;
    }
    response.locals.routeLabel = '/ (web page)';
    response.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    response.setHeader('ETag', file.etag);
    if (request.headers['if-none-match'] === file.etag) {
      response.status(304).end();
      return;
    }
    response.setHeader('Content-Type', file.contentType);
    response.setHeader('Content-Length', String(file.body.length));
    if (request.method === 'HEAD') response.end();
    else response.end(file.body);
  };
}
