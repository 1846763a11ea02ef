// Runs tapegrad's exported ONNX models in ONNX Runtime (the npm package onnxruntime-node, its
// CPU execution provider) and compares their outputs with tapegrad's own logits.
//
//   node run_onnxruntime.mjs DIR [--tolerance 1e-4]   DIR/manifest.json from onnx_export_models
//   node run_onnxruntime.mjs --run MODEL.onnx         loads one model and runs it on zeros
//
// The runtime is looked up in $TG_ONNX_TOOLS or build/onnx-tools (tests/onnx/setup.sh installs
// it there). Exit status: 0 every model within the tolerance, 1 a model failed, 77 the runtime
// is not installed (ctest reports the test as skipped).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tools = process.env.TG_ONNX_TOOLS || path.join(here, '..', '..', 'build', 'onnx-tools');
let ort;
try {
  ort = createRequire(path.join(tools, 'package.json'))('onnxruntime-node');
} catch (e) {
  console.log(`SKIPPED: onnxruntime-node is not installed in ${tools} ` +
              `(bash tests/onnx/setup.sh installs it): ${e.message.split('\n')[0]}`);
  process.exit(77);
}

const options = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };

function readFloats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

async function runOne(file) {
  const session = await ort.InferenceSession.create(file, options);
  const meta = session.inputMetadata?.[0];
  const dims = [2, 1, 28, 28];
  const x = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b)), dims);
  const out = await session.run({ [session.inputNames[0]]: x });
  const y = out[session.outputNames[0]];
  console.log(`${path.basename(file)}: ONNX Runtime ${ort.env.versions.common} ran it: input ` +
              `'${session.inputNames[0]}', output '${session.outputNames[0]}' [${y.dims}]` +
              (meta ? '' : ''));
  if (y.dims.length !== 2 || y.dims[0] !== 2 || !y.data.every(Number.isFinite)) {
    console.log('FAILED: the output is not finite logits [2, classes]');
    process.exit(1);
  }
}

async function compareAll(dir, tolerance) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const input = readFloats(path.join(dir, manifest.input));
  let failures = 0;
  let worst = 0;
  for (const m of manifest.models) {
    const session = await ort.InferenceSession.create(path.join(dir, m.file), options);
    const x = new ort.Tensor('float32', input, manifest.input_shape);
    const out = await session.run({ input: x });
    const y = out.output;
    const want = readFloats(path.join(dir, m.logits));
    let diff = 0;
    let scale = 0;
    const shapeOk = y.dims.length === 2 && y.dims[0] === m.logits_shape[0] &&
                    y.dims[1] === m.logits_shape[1] && y.data.length === want.length;
    if (shapeOk) {
      for (let i = 0; i < want.length; ++i) {
        const d = Math.abs(y.data[i] - want[i]);
        diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
        scale = Math.max(scale, Math.abs(want[i]));
      }
    }
    const ok = shapeOk && diff <= tolerance;
    worst = Math.max(worst, diff);
    if (!ok) failures += 1;
    console.log(`${ok ? 'ok    ' : 'FAILED'} ${m.model} + ${m.activation}: max |ORT - tapegrad| = ` +
                `${shapeOk ? diff.toExponential(2) : `shape [${y.dims}]`} ` +
                `(logits up to ${scale.toFixed(2)}, ${session.inputNames.length} input, ` +
                `output [${y.dims}])`);
  }
  console.log(`onnxruntime ${ort.env.versions.common}: ${manifest.models.length - failures} of ` +
              `${manifest.models.length} models match tapegrad within ${tolerance} ` +
              `(worst ${worst.toExponential(2)})`);
  process.exit(failures ? 1 : 0);
}

const args = process.argv.slice(2);
if (args[0] === '--run' && args.length === 2) {
  await runOne(args[1]);
} else if (args.length >= 1) {
  const t = args.indexOf('--tolerance');
  await compareAll(args[0], t >= 0 ? Number(args[t + 1]) : 1e-4);
} else {
  console.error('usage: run_onnxruntime.mjs DIR [--tolerance T] | --run MODEL.onnx');
  process.exit(2);
}
