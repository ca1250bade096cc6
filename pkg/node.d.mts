// Types of the Node.js ES-module entry point (node.mjs): the nodejs build's API plus the
// web build's `init`, which does nothing in Node.
export * from './node/musig2_p2p.js';

/** Nothing to do in Node (the wasm is loaded on import); kept so code runs unchanged on the web build. */
export default function init(): Promise<void>;

/** Same as `init()`, synchronously. */
export function initSync(): void;
