//! libp2p driver for MuSig2 signing sessions, shared by browser (wasm) and native peers.
#![forbid(unsafe_code)]
