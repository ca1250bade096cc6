//! Sans-IO MuSig2 signing-session protocol. Time and randomness are parameters; this crate
//! never touches a socket, a clock or an OS random source.
#![forbid(unsafe_code)]
