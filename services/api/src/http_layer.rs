//! Errors of the HTTP layer as problem+json. actix-http answers a request it cannot parse (a
//! malformed request line, a target longer than 64 KiB, a head over 128 KiB or with more than 96
//! headers) itself, before any middleware runs, with an empty 400 or 431, and closes the
//! connection. [`Guarded`] wraps each connection and replaces exactly those heads, which the
//! application never sends (every error of its own carries a body), with a problem+json answer;
//! it also logs them at `info`, since the client is at fault, where actix-http would log an
//! ERROR (silenced in `telemetry`).
//!
//! Hand-written because actix offers no hook for these answers; the wrapper only looks at what is
//! written, never at what is read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{ApiError, ErrorCode};

/// The heads actix-http writes for requests it could not parse, and what each means.
const REFUSALS: [(&[u8], ErrorCode, &str); 2] = [
    (
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ErrorCode::MalformedHttp,
        "the request is not valid HTTP/1.1 or its target is longer than 64 KiB",
    ),
    (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n",
        ErrorCode::HeadersTooLarge,
        "the request head is larger than 128 KiB or has more than 96 header fields",
    ),
];

/// A connection whose HTTP-layer refusals are rewritten as problem+json.
pub struct Guarded<S> {
    inner: S,
    /// A replacement being written: its bytes, how many are out, and the length of the original
    /// head to report as written once it is all out.
    rewrite: Option<(Vec<u8>, usize, usize)>,
}

impl<S> Guarded<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, rewrite: None }
    }
}

/// Where in `buf` a refusal head starts, and which.
fn find_refusal(buf: &[u8]) -> Option<(usize, usize)> {
    REFUSALS
        .iter()
        .enumerate()
        .find_map(|(which, (head, _, _))| buf.windows(head.len()).position(|w| w == *head).map(|at| (at, which)))
}

/// The whole answer that replaces refusal `which`.
fn replacement(which: usize) -> Vec<u8> {
    let (_, code, detail) = REFUSALS[which];
    let problem = ApiError::new(code, detail).problem();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    tracing::info!(status = problem.status, code = problem.code, "refused a request the HTTP layer could not parse");
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\ncontent-length: {len}\r\n\
         connection: close\r\n\r\n",
        status = problem.status,
        reason = code.status().canonical_reason().unwrap_or(""),
        len = body.len(),
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewrite.is_none() {
            match find_refusal(buf) {
                // What comes before (answers to earlier requests) goes out unchanged first.
                Some((at, _)) if at > 0 => return Pin::new(&mut this.inner).poll_write(cx, &buf[..at]),
                Some((_, which)) => {
                    let head_len = buf.windows(4).position(|w| w == b"\r\n\r\n").map_or(buf.len(), |end| end + 4);
                    this.rewrite = Some((replacement(which), 0, head_len));
                }
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        let Some((bytes, sent, head_len)) = &mut this.rewrite else { unreachable!("set above") };
        while *sent < bytes.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
        }
        let done = *head_len;
        this.rewrite = None;
        Poll::Ready(Ok(done))
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
    fn only_the_empty_refusal_heads_are_found() {
        let ok = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\ncontent-type: application/problem+json\r\n";
        assert_eq!(find_refusal(ok), None, "the application's own 400s carry a body");
        let pipelined =
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n";
        assert_eq!(find_refusal(pipelined), Some((40, 0)));
        assert_eq!(
            find_refusal(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"),
            Some((0, 1))
        );
    }

    #[test]
    fn a_replacement_is_a_complete_problem_answer() {
        let text = String::from_utf8(replacement(1)).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{head}");
        assert!(head.contains("content-type: application/problem+json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(problem["status"], 431);
        assert_eq!(problem["code"], "headers_too_large");
    }
}
