//! `rollcall serve` as a child process on `127.0.0.1:0`, as an operator runs it:
//! its log lines readable as they come, signals, killed (`SIGKILL`) on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const ROLLCALL: &str = env!("CARGO_BIN_EXE_rollcall");

/// Longest wait for the process to start or to log a line.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running `rollcall serve`; its log lines arrive on `lines`.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pub addr: SocketAddr,
    lines: Receiver<String>,
}

impl Running {
    /// Starts `rollcall serve --listen 127.0.0.1:0 ARGS` and waits until it listens.
    pub fn start(args: &[&str]) -> Running {
        let mut child = serve(args)
            .env("RUST_LOG", "info")
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rollcall");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = channel();
        // Drains the log for the process's whole life, so it never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            lines,
        };
        let line = running.wait_for("listening on ");
        let after = line.split("listening on ").nth(1).expect("address");
        let addr = after.split_whitespace().next().expect("address");
        running.addr = addr.parse().expect("a socket address");
        running
    }

    /// The next log line containing `text`.
    pub fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no log line with {text:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("rollcall exited before {text:?}"),
            }
        }
    }

    /// Sends `SIGHUP` (the token file is read again).
    pub fn hang_up(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill -HUP");
        assert!(status.success());
    }

    /// Kills it (`SIGKILL`) and waits for it to go.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `rollcall serve --listen 127.0.0.1:0 ARGS`, its output piped, without colours.
fn serve(args: &[&str]) -> Command {
    let mut command = Command::new(ROLLCALL);
    command
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped());
    command
}

/// `rollcall serve --listen 127.0.0.1:0 ARGS` run to its end: it must end on its
/// own (a start refused) within [`PATIENCE`].
pub fn run_to_end(args: &[&str]) -> Output {
    let mut child = serve(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rollcall");
    let started = Instant::now();
    while child.try_wait().expect("status").is_none() {
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("rollcall serve {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Everything a finished process wrote, its output then its error stream.
pub fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
