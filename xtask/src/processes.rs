//! The processes a browser test or `cargo xtask run` starts: started here, waited
//! for, and killed when the [`Processes`] that started them is dropped, whatever
//! happened meanwhile.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cmd::display;

/// How long a server may take to start listening or to print its address.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often readiness is checked.
const POLL: Duration = Duration::from_millis(50);

/// A free TCP port on 127.0.0.1, as the OS hands one out for port 0. Another
/// process could take it before the server binds it; on a test machine that race
/// is rare, and the server then fails loudly.
pub fn free_loopback_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// Child processes, killed on drop.
#[derive(Debug, Default)]
pub struct Processes {
    children: Vec<(String, Child)>,
}

impl Processes {
    /// Starts `command` with its stdout and stderr in the file `log`; returns its
    /// process id.
    pub fn start_logged(&mut self, mut command: Command, log: &Path) -> Result<u32, String> {
        let file =
            File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        command.stdin(Stdio::null()).stdout(file).stderr(err);
        self.spawn(command).map(|child| child.id())
    }

    /// Starts `command` and returns the rest of the first `count` lines of its stdout
    /// that begin with `prefix` (`serving 127.0.0.1:4000` gives `127.0.0.1:4000`).
    /// Its stderr goes to ours; its later stdout is read and dropped.
    pub fn start_until_lines(
        &mut self,
        mut command: Command,
        prefix: &str,
        count: usize,
    ) -> Result<Vec<String>, String> {
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        let name = display(&command);
        let child = self.spawn(command)?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (lines, received) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The receiver is gone once enough lines arrived: keep draining so
                // the child never blocks on a full pipe.
                let _ = lines.send(line);
            }
        });
        let started = Instant::now();
        let mut found = Vec::new();
        while found.len() < count {
            let left = READY_TIMEOUT.saturating_sub(started.elapsed());
            match received.recv_timeout(left) {
                Ok(line) => found.extend(line.strip_prefix(prefix).map(str::to_owned)),
                Err(_) => {
                    return Err(format!(
                        "{name} printed {} of {count} {prefix:?} lines within {READY_TIMEOUT:?}",
                        found.len()
                    ));
                }
            }
        }
        Ok(found)
    }

    /// Waits until something accepts connections on 127.0.0.1:`port`, failing early
    /// if a child exits.
    pub fn wait_for_port(&mut self, port: u16) -> Result<(), String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            if TcpStream::connect_timeout(&addr, POLL).is_ok() {
                return Ok(());
            }
            for (name, child) in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("{name} exited early: {status}"));
                }
            }
            thread::sleep(POLL);
        }
        Err(format!("nothing listens on {addr} after {READY_TIMEOUT:?}"))
    }

    /// Blocks until every child has exited, saying so as each one does (the rest
    /// go on: a run where one is stopped by hand keeps the others).
    pub fn wait_all(&mut self) {
        let mut running: Vec<bool> = vec![true; self.children.len()];
        while running.iter().any(|r| *r) {
            for ((name, child), running) in self.children.iter_mut().zip(&mut running) {
                if !*running {
                    continue;
                }
                match child.try_wait() {
                    Ok(Some(status)) => eprintln!("{name} exited: {status}"),
                    Ok(None) => continue,
                    Err(e) => eprintln!("cannot wait for {name}: {e}"),
                }
                *running = false;
            }
            thread::sleep(POLL);
        }
    }

    fn spawn(&mut self, mut command: Command) -> Result<&mut Child, String> {
        let name = display(&command);
        eprintln!("$ {name} &");
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        self.children.push((name, child));
        let (_, child) = self.children.last_mut().ok_or("no child")?;
        Ok(child)
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (name, child) in &mut self.children {
            // Already exited is fine; anything else is worth a line, not a panic.
            if let Err(e) = child.kill().and_then(|()| child.wait().map(drop)) {
                eprintln!("stopping {name}: {e}");
            }
        }
    }
}
