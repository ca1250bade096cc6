//! Bounds-checked big-endian reader and writer used by every decoder and encoder.

use crate::error::DecodeError;

/// A cursor over untrusted bytes. Every read checks the remaining length first.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A `u8`-length byte string whose length lies in `min..=max`.
    pub(crate) fn bytes_u8(&mut self, min: usize, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u8()?);
        check_len(len, min, max)?;
        self.take(len)
    }

    /// A `u16`-length byte string whose length lies in `min..=max`.
    pub(crate) fn bytes_u16(&mut self, min: usize, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u16()?);
        check_len(len, min, max)?;
        self.take(len)
    }

    /// A transaction-type string: 1..=32 bytes of `[a-z0-9_-]`.
    pub(crate) fn tx_type(&mut self) -> Result<String, DecodeError> {
        let raw = self.bytes_u8(1, crate::wire::MAX_TX_TYPE_LEN)?;
        validate_tx_type(raw)?;
        Ok(raw.iter().map(|&b| char::from(b)).collect())
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

fn check_len(len: usize, min: usize, max: usize) -> Result<(), DecodeError> {
    if len < min || len > max {
        return Err(DecodeError::LengthOutOfRange { len, min, max });
    }
    Ok(())
}

/// Checks the transaction-type alphabet and length.
pub(crate) fn validate_tx_type(raw: &[u8]) -> Result<(), DecodeError> {
    let ok_char = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-';
    if raw.is_empty() || raw.len() > crate::wire::MAX_TX_TYPE_LEN || !raw.iter().all(ok_char) {
        return Err(DecodeError::InvalidTxType);
    }
    Ok(())
}

/// Append-only big-endian writer.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn put(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.put(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.put(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.put(&v.to_be_bytes());
    }

    /// Writes a `u8` length prefix; callers guarantee `b.len() <= 255` (checked in encode).
    pub(crate) fn bytes_u8(&mut self, b: &[u8]) {
        self.u8(u8::try_from(b.len()).unwrap_or(u8::MAX));
        self.put(b);
    }

    /// Writes a `u16` length prefix; callers guarantee `b.len() <= 65535`.
    pub(crate) fn bytes_u16(&mut self, b: &[u8]) {
        self.u16(u16::try_from(b.len()).unwrap_or(u16::MAX));
        self.put(b);
    }
}
