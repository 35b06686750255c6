//! A bound on the size of one frontend message, checked on the byte stream before
//! pgwire's codec buffers the message: pgwire accepts a `Query`, `Parse` or `Bind` of
//! up to 1 GiB, which a client could make every connection hold in memory. A message
//! announced larger than the limit (or shorter than its own length field) ends the
//! connection with a protocol violation.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest message a client may send by default: ample for any statement the
/// engine accepts (54,000 bytes) with its bound parameters.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Where the reader is in the stream of messages.
#[derive(Debug, Clone)]
pub struct Framing {
    max: usize,
    /// The next message is the startup packet (length first, no type byte).
    startup: bool,
    header: [u8; 5],
    header_len: usize,
    /// Bytes of the current message's body still to come.
    remaining: usize,
    /// A violation seen: every later read fails with it.
    failed: Option<String>,
}

impl Framing {
    pub fn new(max: usize) -> Framing {
        Framing {
            max,
            startup: true,
            header: [0; 5],
            header_len: 0,
            remaining: 0,
            failed: None,
        }
    }

    /// Follows `bytes` through the message framing; an error for a message whose
    /// length is out of bounds.
    pub fn observe(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if let Some(failed) = &self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, failed.clone()));
        }
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(bytes.len());
                self.remaining -= n;
                bytes = &bytes[n..];
                continue;
            }
            let header_size = if self.startup { 4 } else { 5 };
            let n = (header_size - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + n].copy_from_slice(&bytes[..n]);
            self.header_len += n;
            bytes = &bytes[n..];
            if self.header_len < header_size {
                continue;
            }
            let at = header_size - 4;
            let len = u32::from_be_bytes([
                self.header[at],
                self.header[at + 1],
                self.header[at + 2],
                self.header[at + 3],
            ]) as usize;
            if !(4..=self.max).contains(&len) {
                let failed = format!("a message of {len} bytes (the limit is {} bytes)", self.max);
                self.failed = Some(failed.clone());
                return Err(io::Error::new(io::ErrorKind::InvalidData, failed));
            }
            self.remaining = len - 4;
            self.header_len = 0;
            self.startup = false;
        }
        Ok(())
    }
}

/// A connection whose incoming bytes go through [`Framing`].
#[derive(Debug)]
pub struct Limited<S> {
    inner: S,
    framing: Framing,
}

impl<S> Limited<S> {
    pub fn new(inner: S, framing: Framing) -> Limited<S> {
        Limited { inner, framing }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        // A violation in bytes read before this reader existed surfaces here.
        this.framing.observe(&[])?;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => Poll::Ready(this.framing.observe(&buf.filled()[before..])),
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_followed_across_reads() {
        let mut f = Framing::new(100);
        // A startup packet of 8 bytes, split, then a Query of 9 bytes.
        f.observe(&[0, 0]).unwrap();
        f.observe(&[0, 8, 0, 3, 0, 0]).unwrap();
        f.observe(&[b'Q', 0, 0, 0, 9, b'a', b'b']).unwrap();
        f.observe(&[b'c', b'd', 0]).unwrap();
        // A message announced past the limit, or shorter than its length field.
        assert!(f.clone().observe(&[b'Q', 0, 0, 1, 0]).is_err());
        assert!(f.observe(&[b'Q', 0, 0, 0, 3]).is_err());
        // And stays failed.
        assert!(f.observe(&[]).is_err());
    }
}
