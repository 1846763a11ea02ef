#!/usr/bin/env node
// Checks a tapegrad profiler trace (Chrome trace-event JSON) with a real parser: the trace engine
// of Chrome DevTools' Performance panel (npm @paulirish/trace_engine, the same code that draws the
// trace in devtools://devtools/bundled/trace_app.html; see screenshot.mjs), then prints a summary.
//
//   usage: node tests/trace/validate_trace.mjs TRACE.json [--tools DIR] [--top N]
//
// The DevTools engine accepts almost anything without a word (a slice with no dur, a string ts, a
// flow with no end), so this script also reads the file itself for what the engine tolerates but
// viewers then draw wrongly, and cross-checks the engine's result against the file: every slice
// must reach the engine's thread tracks, and every s/f flow pair must be bound by the engine to a
// forward slice and a backward slice.
//
// Exit status: 0 the trace is good; 1 it is not (each reason is printed as "error: ..."); 2 usage;
// 77 the tools are not installed (run tests/trace/setup.sh), for ctest's SKIP_RETURN_CODE.
import path from 'node:path';
import { toolsDir, loadPackage, polyfillDOMRect, readTrace } from './trace_tools.mjs';

const argv = process.argv.slice(2);
const dir = toolsDir(argv);
let top = 15;
const ti = argv.indexOf('--top');
if (ti >= 0) { top = Number(argv[ti + 1]); argv.splice(ti, 2); }
if (argv.length !== 1 || argv[0].startsWith('-')) {
  console.error('usage: node tests/trace/validate_trace.mjs TRACE.json [--tools DIR] [--top N]');
  process.exit(2);
}
const file = argv[0];

const errors = [];
const warnings = [];
const MAX_REPORTED = 20;
const error = msg => { errors.push(msg); };
const warn = msg => { warnings.push(msg); };

polyfillDOMRect();
const Trace = await loadPackage(dir, '@paulirish/trace_engine');

// ---- 1. read the JSON (a syntax error is the first way a parser rejects a file) ----
let doc, events;
try {
  ({ doc, events } = readTrace(file));
} catch (e) {
  console.error(`error: ${file}: not a trace: ${e.message}`);
  process.exit(1);
}
if (!Array.isArray(doc) && doc.displayTimeUnit !== undefined && !['ms', 'ns'].includes(doc.displayTimeUnit))
  error(`displayTimeUnit must be "ms" or "ns", not ${JSON.stringify(doc.displayTimeUnit)}`);
if (events.length === 0) error('traceEvents is empty');

// ---- 2. the file's own events, as the format defines them ----
const isNum = v => typeof v === 'number' && Number.isFinite(v);
const isId = v => Number.isInteger(v) || (typeof v === 'string' && v !== '');
const desc = (e, i) => `event #${i} (ph ${JSON.stringify(e?.ph)}, name ${JSON.stringify(e?.name)})`;
const tkey = (pid, tid) => `${pid}:${tid}`;

function passOf(e) {  // "forward" | "backward" | null, for an op slice
  const p = e.args?.pass ?? e.args?.phase;
  if (p === 'forward' || p === 'backward') return p;
  if (e.cat === 'forward' || e.cat === 'backward') return e.cat;
  if (typeof e.name === 'string' && (/[_.\s]backward$/i.test(e.name) || /Backward\d*$/.test(e.name))) return 'backward';
  return null;
}

const slicesByThread = new Map();   // tkey -> [{e, i, end}]
const threadNames = new Map();      // tkey -> name
const processNames = new Map();     // pid -> name
const counters = new Map();         // "pid/name" -> Map(series -> {n, min, max})
const flowStarts = new Map();       // cat/name/id -> {e, i}
const flowPairs = [];               // [{s, f, si, fi}]
const otherPhases = new Map();

events.forEach((e, i) => {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) { error(`event #${i} is not an object`); return; }
  if (typeof e.ph !== 'string') { error(`${desc(e, i)} has no "ph"`); return; }
  if (e.ph !== 'M' && !isNum(e.ts)) { error(`${desc(e, i)}: "ts" must be a number (microseconds), got ${JSON.stringify(e.ts)}`); return; }
  if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) {
    if (e.ph !== 'C' || !Number.isInteger(e.pid)) { error(`${desc(e, i)}: "pid" and "tid" must be integers`); return; }
  }
  switch (e.ph) {
    case 'X': {
      if (typeof e.name !== 'string' || e.name === '') error(`${desc(e, i)}: a slice needs a "name"`);
      if (!isNum(e.dur)) { error(`${desc(e, i)}: "dur" must be a number (microseconds), got ${JSON.stringify(e.dur)}`); return; }
      if (e.dur < 0) { error(`${desc(e, i)}: negative "dur" ${e.dur}`); return; }
      if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null || Array.isArray(e.args)))
        error(`${desc(e, i)}: "args" must be an object`);
      const k = tkey(e.pid, e.tid);
      if (!slicesByThread.has(k)) slicesByThread.set(k, []);
      slicesByThread.get(k).push({ e, i, end: e.ts + e.dur });
      break;
    }
    case 'M':
      if (e.name === 'thread_name') threadNames.set(tkey(e.pid, e.tid), e.args?.name);
      else if (e.name === 'process_name') processNames.set(e.pid, e.args?.name);
      if ((e.name === 'thread_name' || e.name === 'process_name') && typeof e.args?.name !== 'string')
        error(`${desc(e, i)}: needs args.name (a string)`);
      break;
    case 'C': {
      if (typeof e.name !== 'string' || e.name === '') error(`${desc(e, i)}: a counter needs a "name"`);
      const vals = e.args && typeof e.args === 'object' ? Object.entries(e.args) : [];
      if (vals.length === 0) error(`${desc(e, i)}: a counter needs numeric "args"`);
      const ck = `${e.pid}/${e.name}${e.id !== undefined ? ` [${e.id}]` : ''}`;
      if (!counters.has(ck)) counters.set(ck, new Map());
      for (const [series, v] of vals) {
        if (!isNum(v)) { error(`${desc(e, i)}: counter value args.${series} must be a number, got ${JSON.stringify(v)}`); continue; }
        const s = counters.get(ck).get(series) ?? { n: 0, min: Infinity, max: -Infinity };
        s.n++; s.min = Math.min(s.min, v); s.max = Math.max(s.max, v);
        counters.get(ck).set(series, s);
      }
      break;
    }
    case 's': case 'f': {
      if (!isId(e.id)) { error(`${desc(e, i)}: a flow event needs an "id"`); return; }
      const fk = `${e.cat}/${e.name}/${e.id}`;
      if (e.ph === 's') {
        if (flowStarts.has(fk)) error(`${desc(e, i)}: flow id ${e.id} (cat ${e.cat}, name ${e.name}) starts twice`);
        flowStarts.set(fk, { e, i });
      } else {
        if (e.bp !== 'e') error(`${desc(e, i)}: a flow end should have "bp":"e" (bind to the enclosing slice, not the next one)`);
        const s = flowStarts.get(fk);
        if (!s) { error(`${desc(e, i)}: flow end with id ${e.id} has no flow start with the same cat, name and id before it`); return; }
        flowStarts.delete(fk);
        flowPairs.push({ s: s.e, si: s.i, f: e, fi: i });
      }
      break;
    }
    default:
      otherPhases.set(e.ph, (otherPhases.get(e.ph) ?? 0) + 1);
  }
});
for (const { e, i } of flowStarts.values())
  error(`${desc(e, i)}: flow start with id ${e.id} has no flow end (same cat, name and id)`);
for (const [ph, n] of otherPhases) warn(`${n} event(s) with ph "${ph}" not checked by this script`);

// Per thread: slices must nest (a slice that starts inside another ends inside it too), and each
// flow point must lie inside a slice of its thread: the slice it binds to in Perfetto and catapult.
const EPS = 1e-3;  // 1 ns
const flowPoints = new Map();  // tkey -> [{ts, role, pair}]
for (const pair of flowPairs) {
  for (const [role, ev] of [['s', pair.s], ['f', pair.f]]) {
    const k = tkey(ev.pid, ev.tid);
    if (!flowPoints.has(k)) flowPoints.set(k, []);
    flowPoints.get(k).push({ ts: ev.ts, role, pair });
  }
}
let overlapReports = 0;
for (const k of new Set([...slicesByThread.keys(), ...flowPoints.keys()])) {
  const slices = (slicesByThread.get(k) ?? []).slice().sort((a, b) => a.e.ts - b.e.ts || b.e.dur - a.e.dur || a.i - b.i);
  const points = (flowPoints.get(k) ?? []).slice().sort((a, b) => a.ts - b.ts);
  const stack = [];
  let p = 0;
  const bindPointsBefore = t => {  // flow points at or before t (slices that start at t come first)
    while (p < points.length && points[p].ts < t) {
      const pt = points[p++];
      while (stack.length && stack.at(-1).end < pt.ts - EPS) stack.pop();
      pt.pair[pt.role + 'Slice'] = stack.at(-1)?.e ?? null;
    }
  };
  for (const s of slices) {
    bindPointsBefore(s.e.ts);
    while (stack.length && stack.at(-1).end <= s.e.ts + EPS) stack.pop();
    const parent = stack.at(-1);
    if (parent && s.end > parent.end + EPS && overlapReports++ < MAX_REPORTED)
      error(`thread ${k}: slice "${s.e.name}" (event #${s.i}, ${s.e.ts}..${s.end}) overlaps "${parent.e.name}" ` +
            `(event #${parent.i}, ${parent.e.ts}..${parent.end}) without nesting in it`);
    stack.push(s);
  }
  bindPointsBefore(Infinity);
}
if (overlapReports > MAX_REPORTED) error(`... and ${overlapReports - MAX_REPORTED} more overlapping slices`);
let flowReports = 0;
for (const pr of flowPairs) {
  const where = `flow id ${pr.s.id} (events #${pr.si} and #${pr.fi})`;
  let msg = null;
  if (!pr.sSlice) msg = `${where}: its start (ts ${pr.s.ts}) lies in no slice of thread ${tkey(pr.s.pid, pr.s.tid)}`;
  else if (!pr.fSlice) msg = `${where}: its end (ts ${pr.f.ts}) lies in no slice of thread ${tkey(pr.f.pid, pr.f.tid)}`;
  else if (passOf(pr.fSlice) !== 'backward') msg = `${where}: ends in "${pr.fSlice.name}", which is not a backward slice`;
  else if (passOf(pr.sSlice) === 'backward') msg = `${where}: starts in the backward slice "${pr.sSlice.name}"`;
  else if (pr.f.ts < pr.s.ts) msg = `${where}: ends before it starts`;
  if (msg && flowReports++ < MAX_REPORTED) error(msg);
}

// ---- 3. the real parser: DevTools' trace engine ----
let data;
try {
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(events);
  const parsed = model.parsedTrace(0);
  data = parsed.data ?? parsed;  // the engine's result was flattened in older versions
} catch (e) {
  console.error(`error: DevTools' trace engine rejected ${file}: ${e?.stack ?? e}`);
  process.exit(1);
}

const engineThreads = new Map();  // tkey -> {name, entries}
for (const [pid, proc] of data.Renderer.processes)
  for (const [tid, thread] of proc.threads)
    engineThreads.set(tkey(pid, tid), { name: thread.name, entries: thread.entries, tree: !!thread.tree });
for (const [k, slices] of slicesByThread) {
  const t = engineThreads.get(k);
  const nx = t ? t.entries.filter(e => e.ph === 'X').length : 0;
  if (!t) error(`DevTools' trace engine made no track for thread ${k} (${slices.length} slices)`);
  else if (!t.tree) error(`DevTools' trace engine could not build the call tree of thread ${k}: it would drop the track`);
  else if (nx !== slices.length) error(`thread ${k}: the file has ${slices.length} slices, DevTools' trace engine kept ${nx}`);
}
const engineFlows = data.Flows.flows;
if (engineFlows.length !== flowPairs.length)
  error(`DevTools' trace engine bound ${engineFlows.length} of the ${flowPairs.length} flow pairs: it binds a flow event ` +
        'only to the slice with the same ts, pid, tid and cat, and matches s to f by cat, name and id');
let engineFlowReports = 0;
for (const flow of engineFlows) {
  const a = flow[0], b = flow.at(-1);
  if ((passOf(a) === 'backward' || passOf(b) !== 'backward') && engineFlowReports++ < MAX_REPORTED)
    error(`DevTools' trace engine links "${a.name}" (ts ${a.ts}) to "${b.name}" (ts ${b.ts}): not forward -> backward`);
}
for (const [kind, evs] of data.Warnings?.perWarning ?? []) warn(`DevTools' trace engine warns: ${kind} (${evs.length} event(s))`);

// ---- 4. summary ----
const entries = [...engineThreads.values()].flatMap(t => t.entries.filter(e => e.ph === 'X'));
const nForward = entries.filter(e => passOf(e) === 'forward').length;
const nBackward = entries.filter(e => passOf(e) === 'backward').length;
// A slice that starts a flow is a forward op even when nothing else says so.
const flowSources = new Set(engineFlows.map(f => f[0]));
const nForwardAll = nForward + [...flowSources].filter(e => passOf(e) === null).length;
if (nForwardAll === 0) error('no forward op slices (args.pass "forward", cat "forward", or the start of a flow)');
if (nBackward === 0) error('no backward slices (args.pass "backward", cat "backward", or a name ending in "_backward")');

const bounds = data.Meta.traceBounds;
const fmtUs = us => us >= 1e6 ? `${(us / 1e6).toFixed(3)} s` : us >= 1e3 ? `${(us / 1e3).toFixed(3)} ms` : `${+us.toFixed(3)} us`;
console.log(`trace: ${path.resolve(file)}`);
console.log(`parser: DevTools trace engine (@paulirish/trace_engine), ${events.length} events, ` +
            `time span ${fmtUs(bounds.range)}`);
console.log('slices per thread:');
for (const [k, t] of [...engineThreads].sort()) {
  const pid = Number(k.split(':')[0]);
  const pname = processNames.get(pid) ?? `pid ${pid}`;
  console.log(`  ${pname} / ${t.name ?? threadNames.get(k) ?? '(unnamed)'} [${k}]: ${t.entries.filter(e => e.ph === 'X').length}`);
}
console.log(`op slices: ${nForwardAll} forward, ${nBackward} backward`);
console.log(`flows: ${flowPairs.length} in the file, ${engineFlows.length} bound by DevTools' trace engine`);
console.log(counters.size ? 'counters:' : 'counters: (none)');
for (const [name, series] of counters)
  for (const [s, v] of series) console.log(`  ${name}.${s}: ${v.n} samples, min ${v.min}, max ${v.max}`);
const byName = new Map();
for (const e of entries) {
  const r = byName.get(e.name) ?? { n: 0, total: 0 };
  r.n++; r.total += e.dur ?? 0;
  byName.set(e.name, r);
}
const rows = [...byName].sort((a, b) => b[1].total - a[1].total);
console.log(`total duration per slice name${rows.length > top ? ` (top ${top} of ${rows.length})` : ''}:`);
const w = Math.max(...rows.slice(0, top).map(([n]) => n.length), 4);
for (const [name, r] of rows.slice(0, top))
  console.log(`  ${name.padEnd(w)}  ${fmtUs(r.total).padStart(12)}  x${r.n}`);

for (const m of warnings) console.log(`warning: ${m}`);
if (flowReports > MAX_REPORTED) error(`... and ${flowReports - MAX_REPORTED} more bad flows`);
for (const m of errors) console.log(`error: ${m}`);
if (errors.length) {
  console.log(`trace INVALID: ${errors.length} error(s)`);
  process.exit(1);
}
console.log('trace OK');
