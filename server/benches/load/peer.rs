//! The Go long-poll yardstick (`peers/longpoll-go` in the team's shared folder),
//! run as a child process so the fan-out is measured against it the same way.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the peer may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running Go peer; killed when dropped.
#[derive(Debug)]
pub struct GoPeer {
    child: Child,
    pub addr: SocketAddr,
}

impl GoPeer {
    /// Starts the peer binary at `binary` on a free loopback port.
    pub fn spawn(binary: &Path) -> Result<GoPeer, String> {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("free port: {e}"))?;
        let child = Command::new(binary)
            .arg("-listen")
            .arg(addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let peer = GoPeer { child, addr };
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if started.elapsed() > START_TIMEOUT {
                return Err(format!("the Go peer did not listen on {addr}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(peer)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for GoPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
