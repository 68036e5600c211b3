//! Native runtime: tokio's clock and tasks (paused or simulated time included).

use std::future::Future;
use std::time::Duration;

pub use tokio::time::Instant;

/// Sleeps for `duration` on tokio's clock.
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Runs `fut` in the background on the current tokio runtime.
///
/// Must be called from within a tokio runtime (or a turmoil host).
pub fn spawn<F>(fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(tokio::spawn(fut));
}
