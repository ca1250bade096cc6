// ES-module entry point for Node.js: re-exports the CommonJS build in ./node (wasm-bindgen's
// nodejs target, which loads the wasm synchronously) with the same shape as the web build.

// libp2p's WebSocket transport looks for a window or a worker global to run its timers on.
// Node has neither; marking the global as a worker scope lets it use Node's own timers.
if (typeof globalThis.window === 'undefined' && typeof globalThis.WorkerGlobalScope === 'undefined') {
  Object.defineProperty(globalThis, 'WorkerGlobalScope', {
    value: class WorkerGlobalScope {},
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

// Named exports of the CommonJS build (detected by Node's CommonJS export analysis).
export * from './node/musig2_p2p.js';

/** Nothing to do in Node (the wasm is already loaded); kept so code runs unchanged on the web build. */
export default async function init() {}

/** Same as `init()`, synchronously. */
export function initSync() {}
