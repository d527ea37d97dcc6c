#!/usr/bin/env node
// Runs a .tflite model in the official TFLite runtime (the WebAssembly build shipped in the npm
// package @tensorflow/tfjs-tflite) under Node, for nasctl's export tests and for checking exports
// by hand.
//
//   node run_tflite.js MODEL.tflite [INPUT.bin OUTPUT.bin]
//
// INPUT.bin holds one or more samples for the model's input, back to back, as raw little-endian
// elements of the input's type (float32, int8 or uint8); the model runs once per sample. OUTPUT.bin
// receives, per sample, every output's raw elements in output order. Without INPUT/OUTPUT only the
// tensor information is printed. stdout gets one JSON object: inputs and outputs (name, shape,
// dtype) and the number of samples run. Errors go to stderr with exit code 1.
//
// The package's own loader expects a browser (fetch, window, navigator), so this loads its
// Emscripten module directly and hands it the .wasm bytes read from disk.
'use strict';

const fs = require('fs');
const path = require('path');

const WASM_DIR = path.join(__dirname, 'node_modules', '@tensorflow', 'tfjs-tflite', 'wasm');
const BYTES = {float32: 4, int32: 4, int8: 1, uint8: 1, int16: 2, bool: 1, float64: 8};

function fail(message) {
  process.stderr.write(`run_tflite: ${message}\n`);
  process.exit(1);
}

function tensorInfo(t) {
  return {name: t.name, shape: t.shape.split(',').map(Number), dtype: t.dataType};
}

function elements(info) {
  return info.shape.reduce((a, b) => a * b, 1);
}

async function loadRuntime() {
  const factory = require(path.join(WASM_DIR, 'tflite_web_api_cc_simd.js'));
  const wasmBinary = fs.readFileSync(path.join(WASM_DIR, 'tflite_web_api_cc_simd.wasm'));
  // The runtime announces its XNNPACK delegate on every model load; keep stderr for real problems.
  const printErr = (s) => { if (!s.startsWith('INFO: ')) process.stderr.write(s + '\n'); };
  return factory({wasmBinary, print: () => {}, printErr});
}

function createRunner(module, modelBytes) {
  const pointer = module._malloc(modelBytes.length);
  module.HEAPU8.set(modelBytes, pointer);
  const result = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(
      pointer, modelBytes.length, {numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024});
  if (!result || !result.ok()) {
    fail(`cannot load the model: ${result ? result.errorMessage() : 'no result'}`);
  }
  return result.value();
}

function toVector(vector) {
  const out = [];
  for (let i = 0; i < vector.size(); i++) out.push(vector.get(i));
  vector.delete();
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 1 && args.length !== 3) {
    fail('usage: run_tflite.js MODEL.tflite [INPUT.bin OUTPUT.bin]');
  }
  const [modelPath, inputPath, outputPath] = args;
  const module = await loadRuntime();
  const runner = createRunner(module, fs.readFileSync(modelPath));
  const inputs = toVector(runner.GetInputs());
  const outputs = toVector(runner.GetOutputs());
  const report = {inputs: inputs.map(tensorInfo), outputs: outputs.map(tensorInfo), samples: 0};
  if (inputPath) {
    if (inputs.length !== 1) fail(`the model has ${inputs.length} inputs; only single-input models can be fed`);
    const info = report.inputs[0];
    const sampleBytes = elements(info) * BYTES[info.dtype];
    const data = fs.readFileSync(inputPath);
    if (data.length === 0 || data.length % sampleBytes !== 0) {
      fail(`${inputPath} has ${data.length} bytes, not a multiple of one ${info.dtype} input ` +
           `[${info.shape}] (${sampleBytes} bytes)`);
    }
    const samples = data.length / sampleBytes;
    const chunks = [];
    for (let s = 0; s < samples; s++) {
      const view = inputs[0].data();  // a typed array over the runtime's input buffer
      view.set(new view.constructor(data.buffer.slice(data.byteOffset + s * sampleBytes,
                                                      data.byteOffset + (s + 1) * sampleBytes)));
      if (!runner.Infer()) fail(`inference failed on sample ${s}`);
      for (const output of outputs) {
        const values = output.data();
        chunks.push(Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
      }
    }
    fs.writeFileSync(outputPath, Buffer.concat(chunks));
    report.samples = samples;
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
