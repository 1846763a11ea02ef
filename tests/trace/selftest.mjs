#!/usr/bin/env node
// Self-test of validate_trace.mjs: the sample trace must pass, and each broken copy of it must
// be rejected (exit 1) for the reason it was broken for.
//   usage: node tests/trace/selftest.mjs [--tools DIR]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolsDir, loadPackage, SKIP } from './trace_tools.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const dir = toolsDir(argv);
await loadPackage(dir, '@paulirish/trace_engine');  // exits with SKIP when not installed

const sample = JSON.parse(fs.readFileSync(path.join(here, 'sample_trace.json'), 'utf8'));
const first = (evs, pred) => evs.find(pred);
const isOp = (name, pass) => e => e.ph === 'X' && e.name === name && e.args?.pass === pass;

// [name, expected exit status, text expected in the output, how to break the events]
const cases = [
  ['sample', 0, 'trace OK', () => {}],
  ['slice without dur', 1, '"dur" must be a number', evs => { delete first(evs, isOp('linear', 'forward')).dur; }],
  ['ts as a string', 1, '"ts" must be a number', evs => { const e = first(evs, isOp('relu', 'forward')); e.ts = String(e.ts); }],
  ['negative dur', 1, 'negative "dur"', evs => { first(evs, isOp('relu', 'forward')).dur = -3; }],
  ['flow start without end', 1, 'has no flow end', evs => { evs.splice(evs.findIndex(e => e.ph === 'f'), 1); }],
  ['flow end without start', 1, 'has no flow start', evs => { evs.splice(evs.findIndex(e => e.ph === 's'), 1); }],
  ['flow end without bp:e', 1, '"bp":"e"', evs => { delete first(evs, e => e.ph === 'f').bp; }],
  ['flow end off its slice (DevTools binds by equal ts)', 1, 'bound 11 of the 12', evs => { first(evs, e => e.ph === 'f').ts += 1; }],
  ['flow cat differs from the slices', 1, 'bound 0 of the 12', evs => { for (const e of evs) if (e.ph === 's' || e.ph === 'f') e.cat = 'autograd'; }],
  ['slices overlap without nesting', 1, 'without nesting', evs => { first(evs, isOp('conv2d', 'forward')).dur += 1000; }],
  ['counter with a string value', 1, 'counter value', evs => { first(evs, e => e.ph === 'C').args.allocated_bytes = '12 MB'; }],
  ['no backward slices', 1, 'no backward slices', evs => {
    for (let i = evs.length - 1; i >= 0; i--) if (evs[i].args?.pass === 'backward' || evs[i].ph === 's' || evs[i].ph === 'f') evs.splice(i, 1);
  }],
  ['truncated file', 1, 'not a trace', null],
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-trace-selftest-'));
let passed = 0, failed = 0;
for (const [name, want, text, breakIt] of cases) {
  const file = path.join(tmp, name.replace(/\W+/g, '_') + '.json');
  if (breakIt) {
    const doc = structuredClone(sample);
    breakIt(doc.traceEvents);
    fs.writeFileSync(file, JSON.stringify(doc));
  } else {
    fs.writeFileSync(file, JSON.stringify(sample).slice(0, 2000));
  }
  const r = spawnSync(process.execPath, [path.join(here, 'validate_trace.mjs'), file, '--tools', dir], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  const good = r.status === want && out.includes(text);
  if (good) passed++; else failed++;
  console.log(`${good ? 'ok  ' : 'FAIL'} ${name}: exit ${r.status}` +
              (good ? '' : ` (wanted ${want} and "${text}")\n${out.replace(/^/gm, '     | ')}`));
  if (good && want !== 0) {
    const first = out.split('\n').find(l => l.startsWith('error:'));
    if (first) console.log(`       ${first}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
