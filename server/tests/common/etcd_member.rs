//! Starting etcd members on loopback: Debian's `etcd`, quiet, on free ports. Std
//! only, so that both the test harness (`etcd.rs`) and the load benchmark (which
//! includes this file by path) start etcd the same way.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for a member to answer its health check after a start.
pub const START_PATIENCE: Duration = Duration::from_secs(30);

/// Starts tried, each on fresh ports: a port found free may be taken (by another
/// process's outgoing connection) before etcd binds it, and etcd then exits at once.
pub const START_ATTEMPTS: usize = 3;

/// Starts the one-member cluster `name` with its data in `data` (wiped first),
/// on fresh ports up to [`START_ATTEMPTS`] times, and returns it answering healthy:
/// the process, its client port and its peer port. `spawned` sees each process as
/// soon as it exists (to note its pid for a watchdog). An error names the cause:
/// etcd missing, or never healthy.
pub fn start_single(
    name: &str,
    data: &Path,
    mut spawned: impl FnMut(&Child),
) -> Result<(Child, u16, u16), String> {
    for _ in 0..START_ATTEMPTS {
        let [client, peer] = free_ports::<2>()?;
        let _ = std::fs::remove_dir_all(data);
        let initial = format!("{name}=http://127.0.0.1:{peer}");
        let mut child = member(name, data, client, peer, &initial)?;
        spawned(&child);
        match wait_started(&mut child, client) {
            Ok(true) => return Ok((child, client, peer)),
            Ok(false) => continue,
            Err(slow) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(slow);
            }
        }
    }
    Err("etcd exited at start on fresh ports every time".to_owned())
}

/// Starts the etcd member `name` of the cluster `initial` (`name=peer-url,...`),
/// quiet, with its data in `data`.
pub fn member(
    name: &str,
    data: &Path,
    client: u16,
    peer: u16,
    initial: &str,
) -> Result<Child, String> {
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    Command::new("etcd")
        .args(["--name", name, "--data-dir"])
        .arg(data)
        .args(["--listen-client-urls", &client_url])
        .args(["--advertise-client-urls", &client_url])
        .args(["--listen-peer-urls", &peer_url])
        .args(["--initial-advertise-peer-urls", &peer_url])
        .args(["--initial-cluster", initial])
        .args(["--initial-cluster-state", "new"])
        .args(["--logger", "zap", "--log-level", "error"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("cannot start etcd (Debian's etcd-server; cargo xtask test installs it): {e}")
        })
}

/// `N` distinct free loopback ports (held together while chosen, so none repeats).
pub fn free_ports<const N: usize>() -> Result<[u16; N], String> {
    let mut ports = [0; N];
    let mut held = Vec::with_capacity(N);
    for port in &mut ports {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
        *port = listener.local_addr().map_err(|e| e.to_string())?.port();
        held.push(listener);
    }
    Ok(ports)
}

/// Waits until the member `child` on client `port` answers healthy (`Ok(true)`)
/// or exits (`Ok(false)`: its ports were taken); an error past [`START_PATIENCE`].
pub fn wait_started(child: &mut Child, port: u16) -> Result<bool, String> {
    let begun = Instant::now();
    while !healthy(port) {
        if child.try_wait().is_ok_and(|status| status.is_some()) {
            return Ok(false);
        }
        if begun.elapsed() > START_PATIENCE {
            return Err(format!("etcd on port {port} did not become healthy"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(true)
}

/// Longest a health check may take, each of connect, write and read.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the member on client `port` answers `{"health":"true"}`.
pub fn healthy(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, CHECK_TIMEOUT) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(CHECK_TIMEOUT));
    let _ = stream.set_write_timeout(Some(CHECK_TIMEOUT));
    let request = "GET /health HTTP/1.1\r\nHost: etcd\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.contains(r#""health":"true""#)
}
