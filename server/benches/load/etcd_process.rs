//! The benchmark's own etcd: one member started as the tests start theirs (see
//! `etcd_member`), with a fresh data directory, killed and removed when dropped.

use std::path::PathBuf;
use std::process::Child;

use crate::etcd_member::start_single;

/// A running etcd.
#[derive(Debug)]
pub struct BenchEtcd {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    child: Child,
    dir: PathBuf,
}

impl BenchEtcd {
    /// Starts etcd and waits until it is healthy; an error if it is not installed
    /// or does not become healthy.
    pub fn start() -> Result<BenchEtcd, String> {
        let dir = std::env::temp_dir().join(format!("rollcall-bench-etcd-{}", std::process::id()));
        let (child, client, _peer) = start_single("bench", &dir, |_| {})?;
        Ok(BenchEtcd {
            endpoint: format!("http://127.0.0.1:{client}"),
            child,
            dir,
        })
    }
}

impl Drop for BenchEtcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
