//! The browser side: building the dashboard bundle and running the browser tests.
//!
//! - [`build_dashboard`]: the wasm build of `rollcall-web-demo`, through
//!   `wasm-bindgen`, plus the static files, into `web-demo/dist`. The same as:
//!   ```text
//!   cargo build -p rollcall-web-demo --target wasm32-unknown-unknown --release
//!   wasm-bindgen --target web --no-typescript --out-dir web-demo/dist \
//!       --out-name web_demo target/wasm32-unknown-unknown/release/rollcall_web_demo.wasm
//!   cp web-demo/static/* web-demo/dist/
//!   ```
//! - [`browser_tests`]: `client/tests/browser.rs` in Chromium (wasm-bindgen-test)
//!   against a live registry and demo servers, then the dashboard's end-to-end
//!   tests (`web-demo/e2e`, node's test runner with playwright-core): the demo
//!   flow, and the page at 10,000 instances.
//! - [`dashboard_bench`]: `cargo xtask bench --dashboard`, the dashboard's browser
//!   benchmark (`web-demo/e2e/bench.mjs`) against a release registry.
//!
//! Every process started here listens on loopback only and is killed when the step
//! that started it ends, failed or not.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, display, run};
use crate::processes::{Processes, free_loopback_port};
use crate::setup::{self, WASM_TARGET};

/// Where the bundle goes, relative to the workspace root (git-ignored).
const DIST_DIR: &str = "web-demo/dist";

/// The page's hand-written files, copied next to the generated ones.
const STATIC_DIR: &str = "web-demo/static";

/// The end-to-end test's npm package.
const E2E_DIR: &str = "web-demo/e2e";

/// The benchmark script, in `E2E_DIR`.
const BENCH_SCRIPT: &str = "bench.mjs";

/// The option of `rollcall serve` that serves the dashboard from a directory.
const DASHBOARD_FLAG: &str = "--dashboard-dir";

/// Debian's chromedriver, matching Debian's chromium (no browser can be downloaded
/// here, so the test tools are pointed at these; `setup` installs them).
const CHROMEDRIVER: &str = setup::CHROMEDRIVER.provides;
const CHROMIUM: &str = setup::CHROMIUM.provides;

/// Builds the dashboard bundle into `web-demo/dist` and returns that directory:
/// `index.html`, `style.css`, `web_demo.js`, `web_demo_bg.wasm`.
///
/// First makes sure `wasm-bindgen` is exactly the version of the `wasm-bindgen`
/// crate in `Cargo.lock` (the CLI refuses a module built by another version),
/// installing it with cargo if not (about 4 minutes). The wasm target is `setup`'s.
pub fn build_dashboard(root: &Path) -> Result<PathBuf, String> {
    ensure_wasm_bindgen(root)?;
    run(&mut cmd::cargo([
        "build",
        "-p",
        "rollcall-web-demo",
        "--target",
        WASM_TARGET,
        "--release",
    ]))?;
    let wasm = target_dir(root)
        .join(WASM_TARGET)
        .join("release")
        .join("rollcall_web_demo.wasm");
    let dist = root.join(DIST_DIR);
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|e| format!("cannot clear {}: {e}", dist.display()))?;
    }
    fs::create_dir_all(&dist).map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    run(Command::new("wasm-bindgen")
        .current_dir(root)
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&dist)
        .args(["--out-name", "web_demo"])
        .arg(&wasm))?;
    copy_files(&root.join(STATIC_DIR), &dist)?;
    eprintln!("dashboard bundle in {}", dist.display());
    Ok(dist)
}

/// Runs the browser tests: the client's wasm-bindgen tests in Chromium against a
/// registry and two demo servers on another origin, then the dashboard's
/// end-to-end test. Builds what they need first.
pub fn browser_tests(root: &Path) -> Result<(), String> {
    let dist = build_dashboard(root)?;
    run(&mut cmd::cargo([
        "build",
        "-p",
        "rollcall-server",
        "--bin",
        "rollcall",
        "--example",
        "demo_servers",
    ]))?;
    let debug = target_dir(root).join("debug");
    let rollcall = debug.join("rollcall");
    let demo_servers = debug.join("examples").join("demo_servers");
    let logs = target_dir(root).join("e2e");
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;

    client_in_browser(&rollcall, &demo_servers, &logs)?;
    dashboard_end_to_end(root, &rollcall, &demo_servers, &dist, &logs)
}

/// `cargo test -p rollcall-client --target wasm32-unknown-unknown` with a registry
/// and demo servers running; they are stopped when this returns.
///
/// The test page is served by wasm-bindgen-test-runner on a port chosen here
/// (`WASM_BINDGEN_TEST_ADDRESS`), so its origin is known: the registry lets that
/// origin write (`--cors-write-origin`: the tests register and deregister) and the
/// demo servers let it call (`--allow-origin`). Every other page may only read.
fn client_in_browser(rollcall: &Path, demo_servers: &Path, logs: &Path) -> Result<(), String> {
    let mut processes = Processes::default();
    let port = free_loopback_port()?;
    let listen = format!("127.0.0.1:{port}");
    let registry = format!("http://{listen}");
    let page_address = format!("127.0.0.1:{}", free_loopback_port()?);
    let page_origin = format!("http://{page_address}");
    let mut serve = Command::new(rollcall);
    serve.args([
        "serve",
        "--listen",
        &listen,
        "--cors-write-origin",
        &page_origin,
    ]);
    processes.start_logged(serve, &logs.join("registry.log"))?;
    processes.wait_for_port(port)?;
    let mut demo = Command::new(demo_servers);
    demo.args(["--registry", &registry, "--names", "foo-1,foo-2"]);
    demo.args(["--allow-origin", &page_origin]);
    let addrs = processes.start_until_lines(demo, "serving ", 2)?;
    eprintln!("registry {registry}, demo servers {addrs:?}, test page {page_origin}");
    run(
        cmd::cargo(["test", "-p", "rollcall-client", "--target", WASM_TARGET])
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_ADDRESS", &page_address)
            .env("ROLLCALL_TEST_REGISTRY", &registry),
    )
}

/// `npm ci` and `node --test` in `web-demo/e2e`; the test starts (and stops) its own
/// registry and demo servers from the binaries given to it.
fn dashboard_end_to_end(
    root: &Path,
    rollcall: &Path,
    demo_servers: &Path,
    dist: &Path,
    logs: &Path,
) -> Result<(), String> {
    let e2e = npm_ci(root)?;
    let mut test = Command::new("node");
    // The registry serves the page itself: the test opens it from there.
    test.env("ROLLCALL_DASHBOARD_FLAG", DASHBOARD_FLAG);
    test.args(["--test", "--test-reporter=spec"])
        .current_dir(&e2e)
        .env("ROLLCALL_BIN", rollcall)
        .env("DEMO_SERVERS_BIN", demo_servers)
        .env("DASHBOARD_DIR", dist)
        .env("CHROMIUM", CHROMIUM)
        .env("E2E_OUT_DIR", logs);
    run(&mut test).map_err(|e| format!("{e}\n(logs and screenshots in {})", logs.display()))
}

/// `cargo xtask bench --dashboard [--seconds N]`: builds the bundle and a release
/// registry, then runs `web-demo/e2e/bench.mjs` in Chromium (10,000 instances in
/// 100 services, one registration and one deregistration a second for N seconds,
/// 20 by default). It prints its figures and writes them to
/// `target/e2e/dashboard-bench.json`.
pub fn dashboard_bench(root: &Path, args: &[String]) -> Result<(), String> {
    let seconds = match args {
        [] => None,
        [flag, n] if flag == "--seconds" && n.parse::<u32>().is_ok_and(|n| n > 0) => Some(n),
        _ => return Err("bench --dashboard: takes only --seconds N (N > 0)".to_owned()),
    };
    setup::ensure(&[], setup::TEST_PACKAGES)?;
    let dist = build_dashboard(root)?;
    run(&mut cmd::cargo([
        "build",
        "--release",
        "-p",
        "rollcall-server",
        "--bin",
        "rollcall",
    ]))?;
    let rollcall = target_dir(root).join("release").join("rollcall");
    let out = target_dir(root).join("e2e");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let e2e = npm_ci(root)?;
    let mut bench = Command::new("node");
    bench
        .arg(BENCH_SCRIPT)
        .current_dir(&e2e)
        .env("ROLLCALL_BIN", &rollcall)
        .env("DASHBOARD_DIR", &dist)
        .env("ROLLCALL_DASHBOARD_FLAG", DASHBOARD_FLAG)
        .env("CHROMIUM", CHROMIUM)
        .env("E2E_OUT_DIR", &out);
    if let Some(seconds) = seconds {
        bench.env("BENCH_SECONDS", seconds);
    }
    run(&mut bench)
}

/// `npm ci` in `web-demo/e2e` (playwright-core); returns that directory.
fn npm_ci(root: &Path) -> Result<PathBuf, String> {
    let e2e = root.join(E2E_DIR);
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&e2e))?;
    Ok(e2e)
}

/// Installs `wasm-bindgen-cli` unless `wasm-bindgen --version` already matches the
/// `wasm-bindgen` crate locked in `Cargo.lock`.
fn ensure_wasm_bindgen(root: &Path) -> Result<(), String> {
    let lock_path = root.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let wanted = locked_version(&lock, "wasm-bindgen")
        .ok_or("Cargo.lock has no wasm-bindgen: build rollcall-web-demo once to lock it")?;
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    // `wasm-bindgen 0.2.130`
    let installed_version = installed
        .as_deref()
        .and_then(|v| v.split_whitespace().nth(1));
    if installed_version == Some(wanted.as_str()) {
        return Ok(());
    }
    eprintln!(
        "wasm-bindgen is {}, Cargo.lock wants {wanted}: installing (a few minutes)",
        installed.as_deref().unwrap_or("not installed")
    );
    let mut install = cmd::cargo(["install", "wasm-bindgen-cli", "--version", &wanted]);
    run(&mut install).map_err(|e| format!("{e}: cannot run {}", display(&install)))
}

/// The version of the package `name` in a `Cargo.lock`, if it is there once.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted_name = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted_name {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return version.strip_suffix('"').map(str::to_owned);
        }
    }
    None
}

/// Copies the regular files directly inside `from` into `to`.
fn copy_files(from: &Path, to: &Path) -> Result<(), String> {
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if let (true, Some(name)) = (path.is_file(), path.file_name()) {
            fs::copy(&path, to.join(name))
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Cargo's target directory: `CARGO_TARGET_DIR` if set, else `target` in `root`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"x\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.80\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(lock, "wasm-bindgen-futures").as_deref(),
            Some("0.4.80")
        );
        assert_eq!(locked_version(lock, "web-sys"), None);
    }
}
