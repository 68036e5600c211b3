//! A write timeout for a connection: hyper has none, so a client that stops reading
//! would hold its connection (and the response buffered for it) forever. This
//! wrapper fails a write, flush or shutdown that has made no progress for the
//! limit; hyper then closes the connection and everything it held is freed.
//!
//! The clock runs only while a write is stalled (the socket's buffer full) and
//! starts again at every byte accepted, so a slow but steady reader is served.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `io` with a write timeout.
#[derive(Debug)]
pub(super) struct WriteTimeout<I> {
    io: I,
    limit: Duration,
    /// Armed while a write is stalled; boxed once and reset after, since a
    /// `Sleep` cannot move once polled.
    stalled: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl<I> WriteTimeout<I> {
    pub(super) fn new(io: I, limit: Duration) -> Self {
        WriteTimeout {
            io,
            limit,
            stalled: None,
            armed: false,
        }
    }

    /// Passes a ready outcome through (and disarms); on a stall, starts the clock
    /// if it is not running and fails once it runs out.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if outcome.is_ready() {
            self.armed = false;
            return outcome;
        }
        let deadline = Instant::now() + self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.armed {
            sleep.as_mut().reset(deadline);
            self.armed = true;
        }
        match sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {:?}", self.limit),
            ))),
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for WriteTimeout<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let outcome = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, outcome)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let outcome = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, outcome)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let outcome = Pin::new(&mut this.io).poll_flush(cx);
        this.watch(cx, outcome)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let outcome = Pin::new(&mut this.io).poll_shutdown(cx);
        this.watch(cx, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_stalled_write_fails_after_the_limit() {
        // A pipe of 16 bytes that nobody reads: the second write stalls.
        let (client, _unread) = tokio::io::duplex(16);
        let mut io = WriteTimeout::new(client, Duration::from_secs(3));
        io.write_all(&[0; 16]).await.expect("fits the buffer");
        let started = Instant::now();
        let error = io.write_all(&[0; 1]).await.expect_err("stalls");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_steady_reader_is_served() {
        use tokio::io::AsyncReadExt;
        let (client, mut reader) = tokio::io::duplex(16);
        let mut io = WriteTimeout::new(client, Duration::from_secs(3));
        let read = tokio::spawn(async move {
            let mut total = 0;
            let mut buf = [0; 8];
            while total < 160 {
                // Slower than the limit overall, but never stalled for as long.
                tokio::time::sleep(Duration::from_secs(2)).await;
                total += reader.read(&mut buf).await.expect("read");
            }
            total
        });
        io.write_all(&[0; 160])
            .await
            .expect("every write progresses");
        assert_eq!(read.await.expect("reader"), 160);
    }
}
