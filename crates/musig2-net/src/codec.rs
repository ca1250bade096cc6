//! Size-bounded request-response codec: each message is a big-endian `u32` length followed by
//! that many bytes. Oversized frames are refused before their body is read.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response::Codec;
use libp2p::StreamProtocol;

use crate::protocol::{MAX_DIRECT_REQUEST_BYTES, MAX_DIRECT_RESPONSE_BYTES};

/// Codec of the direct protocol: opaque byte requests and byte responses, length-prefixed.
#[derive(Debug, Clone)]
pub struct DirectCodec {
    max_request: usize,
    max_response: usize,
}

impl Default for DirectCodec {
    fn default() -> Self {
        Self {
            max_request: MAX_DIRECT_REQUEST_BYTES,
            max_response: MAX_DIRECT_RESPONSE_BYTES,
        }
    }
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len_bytes = [0u8; 4];
    io.read_exact(&mut len_bytes).await?;
    let len = u32::from_be_bytes(len_bytes) as usize;
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the limit of {max}"),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    data: &[u8],
    max: usize,
) -> io::Result<()> {
    if data.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("frame of {} bytes exceeds the limit of {max}", data.len()),
        ));
    }
    let len =
        u32::try_from(data.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(data).await?;
    io.close().await
}

impl Codec for DirectCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_request).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req, self.max_request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res, self.max_response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;

    #[test]
    fn round_trips_a_frame() {
        let mut codec = DirectCodec::default();
        let proto = crate::protocol::DIRECT_PROTOCOL;
        let mut out = Cursor::new(Vec::new());
        block_on(codec.write_request(&proto, &mut out, b"hello".to_vec())).unwrap();
        assert_eq!(out.get_ref().as_slice(), b"\0\0\0\x05hello");
        let mut input = Cursor::new(out.into_inner());
        assert_eq!(
            block_on(codec.read_request(&proto, &mut input)).unwrap(),
            b"hello"
        );
    }

    #[test]
    fn refuses_oversized_frames_before_reading_the_body() {
        let mut codec = DirectCodec::default();
        let proto = crate::protocol::DIRECT_PROTOCOL;
        let mut input = Cursor::new((u32::MAX).to_be_bytes().to_vec());
        let err = block_on(codec.read_request(&proto, &mut input)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let too_big = vec![0u8; MAX_DIRECT_RESPONSE_BYTES + 1];
        let mut out = Cursor::new(Vec::new());
        let err = block_on(codec.write_response(&proto, &mut out, too_big)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn truncated_frame_is_an_error() {
        let mut codec = DirectCodec::default();
        let proto = crate::protocol::DIRECT_PROTOCOL;
        let mut input = Cursor::new(b"\0\0\0\x09abc".to_vec());
        assert!(block_on(codec.read_request(&proto, &mut input)).is_err());
    }
}
