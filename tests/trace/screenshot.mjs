#!/usr/bin/env node
// Draws a trace in a real trace viewer, Chrome DevTools' Performance panel as bundled in Debian's
// Chromium (devtools://devtools/bundled/trace_app.html, headless, offline), and saves a PNG.
//
//   usage: node tests/trace/screenshot.mjs TRACE.json OUT.png [--tools DIR]
//            [--around NAME[#K]]      zoom to the K-th (1-based, default 1) slice called NAME, e.g. step#2
//            [--window START:END]     zoom to this span, in the file's microseconds (its "ts" values)
//            [--select NAME[#K]]      select this slice (default: the first slice that starts a flow),
//                                     so the panel draws its flow arrow and shows its args below
//            [--size WxH] [--scale N] viewport (default 1400x760) and device pixel ratio (default 1)
//
// Chromium: $CHROMIUM, else /usr/bin/chromium. Exit status 1 when the panel does not draw the
// trace's threads, 77 when the tools are not installed.
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir, loadPackage, readTrace, SKIP } from './trace_tools.mjs';

const argv = process.argv.slice(2);
const dir = toolsDir(argv);
const opt = {};
for (const flag of ['--around', '--window', '--select', '--size', '--scale']) {
  const i = argv.indexOf(flag);
  if (i >= 0) { opt[flag.slice(2)] = argv[i + 1]; argv.splice(i, 2); }
}
if (argv.length !== 2 || argv.some(a => a.startsWith('-'))) {
  console.error('usage: node tests/trace/screenshot.mjs TRACE.json OUT.png [--tools DIR] [--around NAME[#K]] ' +
                '[--window START:END] [--select NAME[#K]] [--size WxH] [--scale N]');
  process.exit(2);
}
const [traceFile, outFile] = argv;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
  console.error(`screenshot: no Chromium at ${chromiumPath}; run tests/trace/setup.sh`);
  process.exit(SKIP);
}
const playwright = await loadPackage(dir, 'playwright-core');
const chromium = playwright.chromium ?? playwright.default.chromium;  // a CommonJS package

const { text, events } = readTrace(traceFile);
const slices = events.filter(e => e?.ph === 'X');
function findSlice(spec) {  // "NAME" or "NAME#K"
  const m = /^(.*?)(?:#(\d+))?$/.exec(spec);
  const hits = slices.filter(e => e.name === m[1]).sort((a, b) => a.ts - b.ts);
  const e = hits[(Number(m[2] ?? 1)) - 1];
  if (!e) { console.error(`screenshot: no slice ${spec} (${hits.length} slices are called "${m[1]}")`); process.exit(2); }
  return e;
}
let win = null;  // [min, max] in microseconds
if (opt.around) {
  const e = findSlice(opt.around);
  const pad = Math.max(e.dur * 0.02, 1);
  win = [e.ts - pad, e.ts + e.dur + pad];
} else if (opt.window) {
  win = opt.window.split(':').map(Number);
  if (win.length !== 2 || !win.every(Number.isFinite) || win[1] <= win[0]) { console.error('screenshot: --window START:END'); process.exit(2); }
}
if (win && win[1] - win[0] < 1000) {  // DevTools ignores a visible window shorter than 1 ms
  const mid = (win[0] + win[1]) / 2;
  win = [mid - 500, mid + 500];
}
let selected = null;
if (opt.select) selected = findSlice(opt.select);
else {  // the first forward slice that a flow starts from, inside the window if there is one
  const starts = events.filter(e => e?.ph === 's');
  for (const s of starts.sort((a, b) => a.ts - b.ts)) {
    if (win && (s.ts < win[0] || s.ts > win[1])) continue;
    selected = slices.find(e => e.ts === s.ts && e.pid === s.pid && e.tid === s.tid && e.cat === s.cat) ?? null;
    if (selected) break;
  }
}
const [width, height] = (opt.size ?? '1400x760').split('x').map(Number);

const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: Number(opt.scale ?? 1) });
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  await page.goto('devtools://devtools/bundled/trace_app.html');
  await page.waitForFunction(() => document.querySelector('.main-tabbed-pane, .tabbed-pane') !== null, null, { timeout: 30000 })
    .catch(() => {});
  // Load the file the way "Load trace…" does, from a File object: no network, no file:// access.
  const drawn = await page.evaluate(async ({ text, win, sel }) => {
    const UI = await import('./ui/legacy/legacy.js');
    await UI.ViewManager.ViewManager.instance().showView('timeline');
    const Timeline = await import('./panels/timeline/timeline.js');
    const panel = Timeline.TimelinePanel.TimelinePanel.instance();
    await panel.loadFromFile(new File([text], 'trace.json', { type: 'application/json' }));
    for (let i = 0; i < 100 && !panel.flameChart?.mainDataProvider?.entryData?.length; i++)
      await new Promise(r => setTimeout(r, 100));
    const view = panel.flameChart;
    const chart = view.mainFlameChart;
    const groups = chart.timelineData()?.groups ?? [];
    for (let i = 0; i < groups.length; i++) chart.expandGroup(i, true);
    if (win) {
      const TraceBounds = await import('./services/trace_bounds/trace_bounds.js');
      TraceBounds.TraceBounds.BoundsManager.instance().setTimelineVisibleWindow(
        { min: win[0], max: win[1], range: win[1] - win[0] }, { ignoreMiniMapBounds: true });
    }
    const entries = view.mainDataProvider.entryData;
    let selectedName = null;
    if (sel) {
      const e = entries.find(x => x.ts === sel.ts && x.name === sel.name && x.tid === sel.tid && x.pid === sel.pid);
      if (e) {
        view.setSelectionAndReveal(Timeline.TimelineSelection.selectionFromEvent(e));
        selectedName = e.name;
      }
    }
    return { groups: groups.map(g => g.name), entries: entries.length, selectedName };
  }, { text, win, sel: selected && { ts: selected.ts, name: selected.name, tid: selected.tid, pid: selected.pid } });

  // Close what a DevTools window with no page behind it shows on top, "Debugging connection was
  // closed" and the first-run keyboard-shortcuts card, and hide the insights sidebar. They come up
  // at their own time, so keep at it until nothing has shown up for a while.
  const overlays = ['Debugging connection was closed', 'Keyboard shortcuts for flame chart'];
  const visible = async () => {
    const shown = [];
    for (const t of overlays)
      for (const l of await page.getByText(t, { exact: true }).all()) if (await l.isVisible()) shown.push(t);
    return shown;
  };
  const deadline = Date.now() + 15000;
  let quietSince = null;
  while (Date.now() < deadline) {
    let clicked = 0;
    for (const name of ['Close', 'Hide sidebar'])
      for (const b of await page.getByRole('button', { name, exact: true }).all())
        if (await b.isVisible()) { await b.click({ timeout: 2000 }).catch(() => {}); clicked++; }
    if (clicked || (await visible()).length) quietSince = null;
    else if ((quietSince ??= Date.now()) < Date.now() - 2000) break;
    await page.waitForTimeout(200);
  }
  for (const t of await visible()) problems.push(`"${t}" is still over the trace`);
  await page.waitForTimeout(700);  // let the flame chart finish its animated redraw
  await page.screenshot({ path: outFile });

  const threadNames = new Set(events.filter(e => e?.ph === 'M' && e.name === 'thread_name').map(e => e.args?.name));
  const shown = drawn.groups.filter(g => [...threadNames].some(t => g.startsWith(t)));
  console.log(`screenshot: ${path.resolve(outFile)}: DevTools drew ${drawn.entries} entries in tracks ` +
              `${drawn.groups.map(g => JSON.stringify(g)).join(', ')}` +
              (drawn.selectedName ? `; selected "${drawn.selectedName}"` : '') +
              (win ? `; window ${win[0]}..${win[1]} us` : ''));
  if (drawn.entries === 0) problems.push('the Performance panel drew no entries');
  if (threadNames.size && shown.length === 0) problems.push('the Performance panel shows none of the named threads');
} finally {
  await browser.close();
}
for (const p of problems) console.error(`screenshot: ${p}`);
process.exit(problems.length ? 1 : 0);
