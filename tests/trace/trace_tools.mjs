// Shared by validate_trace.mjs and screenshot.mjs: finds the npm packages that
// tests/trace/setup.sh installed (outside the source tree) and loads them.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SKIP = 77;  // exit code for "tools not installed" (ctest's SKIP_RETURN_CODE)

const here = path.dirname(fileURLToPath(import.meta.url));

// Removes "--tools DIR" from argv and returns the tools directory: that flag, else
// $TAPEGRAD_TRACE_TOOLS, else <repo>/build/trace-tools.
export function toolsDir(argv) {
  const i = argv.indexOf('--tools');
  if (i >= 0) {
    const d = argv[i + 1];
    argv.splice(i, 2);
    return path.resolve(d);
  }
  return path.resolve(process.env.TAPEGRAD_TRACE_TOOLS || path.join(here, '..', '..', 'build', 'trace-tools'));
}

export async function loadPackage(dir, name) {
  const require = createRequire(path.join(dir, 'package.json'));
  let entry;
  try {
    entry = require.resolve(name);
  } catch {
    console.error(`trace tools: ${name} is not installed in ${dir}; run tests/trace/setup.sh ${dir}`);
    process.exit(SKIP);
  }
  return import(pathToFileURL(entry).href);
}

// DevTools' trace engine is browser code; under Node it only misses DOMRect.
export function polyfillDOMRect() {
  if (globalThis.DOMRect) return;
  globalThis.DOMRect = class DOMRect {
    constructor(x = 0, y = 0, width = 0, height = 0) {
      Object.assign(this, { x: +x, y: +y, width: +width, height: +height });
    }
    get left() { return Math.min(this.x, this.x + this.width); }
    get right() { return Math.max(this.x, this.x + this.width); }
    get top() { return Math.min(this.y, this.y + this.height); }
    get bottom() { return Math.max(this.y, this.y + this.height); }
    static fromRect(r = {}) { return new DOMRect(r.x, r.y, r.width, r.height); }
    toJSON() { return { x: this.x, y: this.y, width: this.width, height: this.height }; }
  };
}

// Reads a trace file: {"traceEvents": [...], ...} (or a bare array). Throws on bad JSON.
export function readTrace(file) {
  const text = fs.readFileSync(file, 'utf8');
  const doc = JSON.parse(text);
  const events = Array.isArray(doc) ? doc : doc?.traceEvents;
  if (!Array.isArray(events)) throw new Error('no "traceEvents" array at the top level');
  return { text, doc, events };
}
