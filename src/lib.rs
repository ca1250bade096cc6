//! MuSig2 co-signing for browser and webview wallets over libp2p: the WebAssembly facade.
#![forbid(unsafe_code)]
