//! The accept loop: HTTP/1.1 over hyper with a cap on connections and a watchdog per
//! connection, so a stalled or silent client cannot hold a socket (and a file descriptor)
//! for long.
//!
//! axum's own `serve` does not expose hyper's connection settings, and hyper's
//! `header_read_timeout` starts when a connection is ready for its next request, so it cannot
//! tell an idle kept-alive connection from one sending its headers slowly. Each connection
//! therefore tracks its own phase:
//! - waiting for the first request, or reading a request's headers (from their first byte):
//!   closed after `header_timeout`;
//! - idle between requests: closed after `idle_timeout`;
//! - a request in flight: bounded by the request middleware (`limits::guard`), and an answer
//!   the client stops reading is dropped after `request_timeout` without progress.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::{sleep_until, timeout, Instant};
use tower::ServiceExt;

use super::limits::Limits;

/// Refusals being written at once when over the cap; past that a connection is just closed.
const REFUSALS_AT_ONCE: usize = 64;
/// How long a refusal may take to write and to wait for the client's request to finish.
const REFUSAL_TIME: Duration = Duration::from_secs(1);
/// After the server closes, it reads and discards what the client still sends for this long,
/// so the client reads the answer instead of a reset (RFC 9112, section 9.6).
const LINGER_TIME: Duration = Duration::from_secs(2);
/// At most one "at the connection limit" warning in this long.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let refusal_log = RefusalLog::default();
    // `stop` tells connections to finish; `alive` is held by each one until it has.
    let (stop, stopping) = watch::channel(false);
    let (alive, alive_held) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                // Small writes (an event message) go out at once, not after the last ACK.
                if let Err(err) = accepted.0.set_nodelay(true) {
                    tracing::debug!(%err, "cannot set TCP_NODELAY");
                }
                accepted
            }
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                // Out of file descriptors, most likely: wait instead of spinning.
                tracing::error!(%err, "cannot accept a connection");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let connection = Connection {
                    app: app.clone(),
                    limits,
                    peer,
                    stopping: stopping.clone(),
                    _alive: alive_held.clone(),
                };
                tokio::spawn(connection.run(stream, permit));
            }
            Err(_) => {
                refusal_log.warn(limits.max_connections);
                refuse(stream, &refusals);
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive_held);
    alive.closed().await;
    Ok(())
}

/// Errors of one connection that say nothing about the listener (as in axum's `serve`).
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[derive(Default)]
struct RefusalLog {
    /// Milliseconds since `epoch` of the last warning, plus one (0: never).
    last: AtomicU64,
    epoch: std::sync::OnceLock<std::time::Instant>,
}

impl RefusalLog {
    fn warn(&self, max: usize) {
        let epoch = *self.epoch.get_or_init(std::time::Instant::now);
        let now = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let last = self.last.load(Ordering::Relaxed);
        let interval = REFUSAL_LOG_INTERVAL.as_millis() as u64;
        if (last == 0 || now.saturating_sub(last) >= interval)
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max_connections = max,
                "at the connection limit: new connections get 503 until some close"
            );
        }
    }
}

/// The canned answer over the cap: small, written without parsing anything.
fn refusal() -> Vec<u8> {
    let body = r#"{"error":"unavailable","message":"The server has too many connections open; try again shortly."}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\nx-request-id: {}\r\n\r\n{body}",
        body.len(),
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes()
}

fn refuse(mut stream: TcpStream, refusals: &Arc<Semaphore>) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let _ = timeout(REFUSAL_TIME, async {
            // Answer a request, not the connection: a client that gets bytes before it has
            // sent anything takes them for a broken connection rather than a 503.
            if read_head(&mut stream).await && stream.write_all(&refusal()).await.is_ok() {
                drain(&mut stream).await;
            }
        })
        .await;
    });
}

/// Reads until the end of a request's headers (or 16 KiB of them); false when the client
/// closes first.
async fn read_head(stream: &mut TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
        if seen.windows(4).any(|window| window == b"\r\n\r\n") || seen.len() > 16 * 1024 {
            return true;
        }
    }
}

/// Half-closes and discards whatever the client still sends, until it closes too.
async fn drain(stream: &mut TcpStream) {
    let _ = stream.shutdown().await;
    let mut buffer = [0u8; 8192];
    while let Ok(1..) = stream.read(&mut buffer).await {}
}

struct Connection {
    app: Router,
    limits: Limits,
    peer: SocketAddr,
    stopping: watch::Receiver<bool>,
    _alive: watch::Receiver<()>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, permit: OwnedSemaphorePermit) {
        let watch = Arc::new(Watch::new());
        let io = WatchedIo {
            stream: Some(stream),
            watch: watch.clone(),
            permit: Some(permit),
        };
        let (app, peer) = (self.app.clone(), self.peer);
        let requests = watch.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let in_flight = requests.begin_request();
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let response = match app.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                let response = response.map(|body| {
                    Body::new(TrackedBody {
                        body,
                        _in_flight: in_flight,
                    })
                });
                Ok::<_, Infallible>(response)
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        // Our watchdog times headers; hyper's timer would also count idle time.
        builder.keep_alive(true).header_read_timeout(None);
        let connection = builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(connection);
        let mut shutting_down = false;
        loop {
            let deadline = watch.deadline(&self.limits);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(peer = %self.peer, %err, "connection ended with an error");
                    }
                    return;
                }
                () = sleep_until_or_never(deadline) => {
                    if let Some(reason) = watch.expired(&self.limits, Instant::now()) {
                        tracing::debug!(peer = %self.peer, reason, "closing a connection");
                        return;
                    }
                }
                () = watch.changed.notified() => {}
                _ = self.stopping.wait_for(|stop| *stop), if !shutting_down => {
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// What a connection is doing, for its watchdog.
struct Watch {
    state: Mutex<Phase>,
    /// Woken when the deadline may have moved earlier.
    changed: Notify,
}

struct Phase {
    /// Requests whose headers are in and whose answer has not been sent yet.
    requests: usize,
    /// Reading a request's headers since then (or waiting for the first request).
    head_since: Option<Instant>,
    /// Idle since then, when no request is in flight and no head has begun.
    idle_since: Instant,
    /// A write has been waiting for the client to read since then.
    write_blocked_since: Option<Instant>,
    /// The client has closed its side: nothing left to drain.
    read_closed: bool,
}

impl Watch {
    fn new() -> Watch {
        let now = Instant::now();
        Watch {
            state: Mutex::new(Phase {
                requests: 0,
                head_since: Some(now),
                idle_since: now,
                write_blocked_since: None,
                read_closed: false,
            }),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // The state is plain data; a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn begin_request(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        phase.requests += 1;
        phase.head_since = None;
        InFlight(self.clone())
    }

    fn read(&self, bytes: usize) {
        let mut phase = self.phase();
        if bytes == 0 {
            phase.read_closed = true;
        } else if phase.requests == 0 && phase.head_since.is_none() {
            phase.head_since = Some(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn write_blocked(&self, blocked: bool) {
        let mut phase = self.phase();
        match (blocked, phase.write_blocked_since) {
            (true, None) => {
                phase.write_blocked_since = Some(Instant::now());
                drop(phase);
                self.changed.notify_one();
            }
            (false, Some(_)) => phase.write_blocked_since = None,
            _ => {}
        }
    }

    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let phase = self.phase();
        let waiting = (phase.requests == 0).then(|| match phase.head_since {
            Some(since) => since + limits.header_timeout,
            None => phase.idle_since + limits.idle_timeout,
        });
        let unread = phase
            .write_blocked_since
            .map(|since| since + limits.request_timeout);
        match (waiting, unread) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Why the connection should be closed now, if it should.
    fn expired(&self, limits: &Limits, now: Instant) -> Option<&'static str> {
        let phase = self.phase();
        if phase
            .write_blocked_since
            .is_some_and(|since| now >= since + limits.request_timeout)
        {
            return Some("the client does not read the answer");
        }
        if phase.requests > 0 {
            return None;
        }
        match phase.head_since {
            Some(since) if now >= since + limits.header_timeout => {
                Some("the request headers did not arrive in time")
            }
            None if now >= phase.idle_since + limits.idle_timeout => Some("idle"),
            _ => None,
        }
    }
}

/// Held from a request's headers until its answer's body has been sent (or dropped).
struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        phase.requests = phase.requests.saturating_sub(1);
        if phase.requests == 0 {
            phase.idle_since = Instant::now();
            drop(phase);
            self.0.changed.notify_one();
        }
    }
}

/// An answer's body that keeps its request counted as in flight until it is done.
struct TrackedBody {
    body: Body,
    /// Only dropped: that marks the end of the answer.
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, reporting reads and stalled writes to the watchdog. When hyper drops it while
/// the client may still be sending, it lingers (see `LINGER_TIME`) before closing, and keeps
/// its connection slot until then.
struct WatchedIo {
    stream: Option<TcpStream>,
    watch: Arc<Watch>,
    permit: Option<OwnedSemaphorePermit>,
}

fn closed() -> io::Error {
    io::Error::from(io::ErrorKind::NotConnected)
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let result = Pin::new(stream).poll_read(cx, buf);
        match &result {
            Poll::Ready(Ok(())) => self.watch.read(buf.filled().len() - before),
            Poll::Ready(Err(_)) => self.watch.read(0),
            Poll::Pending => {}
        }
        result
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let result = Pin::new(stream).poll_write(cx, buf);
        self.watch.write_blocked(result.is_pending());
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let result = Pin::new(stream).poll_write_vectored(cx, bufs);
        self.watch.write_blocked(result.is_pending());
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_flush(cx),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_shutdown(cx),
            None => Poll::Ready(Err(closed())),
        }
    }
}

impl Drop for WatchedIo {
    fn drop(&mut self) {
        let Some(mut stream) = self.stream.take() else {
            return;
        };
        if self.watch.phase().read_closed {
            return;
        }
        let permit = self.permit.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _permit = permit;
                let _ = timeout(LINGER_TIME, drain(&mut stream)).await;
            });
        }
    }
}
