//! What a fresh machine lacks, added before anything needs it: rustup's components
//! and the wasm target, then Debian packages (protoc for building the server's etcd
//! client, etcd for the tests and the benchmark, the browser and its driver, node
//! for the end-to-end test).
//!
//! A new user runs the README's two commands and nothing else, and CI does the
//! same (`.ci/run` only calls `cargo xtask test`), so each command starts here:
//! - rustup components and targets are added with rustup;
//! - a missing Debian package is installed with `apt-get` when running as root;
//!   otherwise the command stops at once with the exact command to run.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::cmd::run;

/// The browser's target triple.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// A Debian package, and how to tell it is installed: a file it provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    pub name: &'static str,
    pub provides: &'static str,
}

/// Debian's Chromium, for the browser tests (no test tool can download a browser
/// on these machines).
pub const CHROMIUM: Package = Package {
    name: "chromium",
    provides: "/usr/bin/chromium",
};

/// The WebDriver for that Chromium, which wasm-bindgen-test-runner drives.
pub const CHROMEDRIVER: Package = Package {
    name: "chromium-driver",
    provides: "/usr/bin/chromedriver",
};

/// Node runs the dashboard's end-to-end test (playwright-core).
const NODE: Package = Package {
    name: "nodejs",
    provides: "node",
};

/// npm installs the end-to-end test's locked dependencies.
const NPM: Package = Package {
    name: "npm",
    provides: "npm",
};

/// The protobuf compiler: the etcd client's build script compiles etcd's `.proto`
/// files, so every build of the server needs it.
const PROTOC: Package = Package {
    name: "protobuf-compiler",
    provides: "/usr/bin/protoc",
};

/// protoc's well-known types (`descriptor.proto`), which etcd's files import.
const PROTOBUF_INCLUDES: Package = Package {
    name: "libprotobuf-dev",
    provides: "/usr/include/google/protobuf/descriptor.proto",
};

/// etcd itself (3.4 on Debian 12): the etcd store's tests and benchmark start
/// their own.
pub const ETCD: Package = Package {
    name: "etcd-server",
    provides: "/usr/bin/etcd",
};

/// What any step that builds the workspace (or the server) needs from Debian.
pub const BUILD_PACKAGES: &[Package] = &[PROTOC, PROTOBUF_INCLUDES];

/// What the tests step needs: a build, and etcd.
pub const TESTS_PACKAGES: &[Package] = &[PROTOC, PROTOBUF_INCLUDES, ETCD];

/// What `cargo xtask test`'s browser step needs from Debian: a build of the
/// server, the browser and its driver, node and npm, and etcd (the dashboard over
/// two frontends).
pub const TEST_PACKAGES: &[Package] = &[
    PROTOC,
    PROTOBUF_INCLUDES,
    ETCD,
    CHROMIUM,
    CHROMEDRIVER,
    NODE,
    NPM,
];

/// Makes sure rustup has `components` and the wasm target, and Debian has
/// `packages`, installing what is missing.
pub fn ensure(components: &[&str], packages: &[Package]) -> Result<(), String> {
    ensure_rustup(components)?;
    ensure_packages(packages)
}

/// Everything `cargo xtask run` needs (the wasm target for the dashboard, protoc for
/// the server; the wasm-bindgen CLI is installed by the dashboard build).
pub fn for_run() -> Result<(), String> {
    ensure(&[], BUILD_PACKAGES)
}

/// Everything `cargo xtask run --etcd` needs: what `run` needs, and etcd.
pub fn for_etcd() -> Result<(), String> {
    ensure(&[], TESTS_PACKAGES)
}

/// Everything `cargo xtask bench` needs: protoc for the build, etcd for the etcd
/// store's figures.
pub fn for_bench() -> Result<(), String> {
    ensure(&[], TESTS_PACKAGES)
}

fn ensure_rustup(components: &[&str]) -> Result<(), String> {
    let installed = |what: &str| -> Result<Vec<String>, String> {
        let output = Command::new("rustup")
            .args([what, "list", "--installed"])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| {
                format!(
                    "cannot run rustup ({e}): install Rust with rustup (https://rustup.rs), \
                     which these commands use to add the {WASM_TARGET} target"
                )
            })?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    };
    let targets = installed("target")?;
    if !targets.iter().any(|t| t == WASM_TARGET) {
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    if components.is_empty() {
        return Ok(());
    }
    let have = installed("component")?;
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| {
            !have
                .iter()
                .any(|h| h.starts_with(&format!("{c}-")) || h == c)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(Command::new("rustup")
        .args(["component", "add"])
        .args(&missing))
}

fn ensure_packages(packages: &[Package]) -> Result<(), String> {
    let mut missing: Vec<&str> = packages
        .iter()
        .filter(|p| !provided(p.provides))
        .map(|p| p.name)
        .collect();
    let mut seen = Vec::new();
    missing.retain(|name| {
        let first = !seen.contains(name);
        seen.push(*name);
        first
    });
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!("apt-get install -y {}", missing.join(" "));
    if !is_root() {
        return Err(format!(
            "missing Debian packages: {}. Install them first:\n    sudo apt-get update && sudo {install}",
            missing.join(", ")
        ));
    }
    eprintln!("installing missing Debian packages: {}", missing.join(", "));
    run(Command::new("apt-get")
        .args(["update", "-qq"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    let still: Vec<&str> = packages
        .iter()
        .filter(|p| !provided(p.provides))
        .map(|p| p.name)
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "apt-get finished, but these are still missing: {}",
            still.join(", ")
        ))
    }
}

/// Whether `provides` exists: an absolute path, or a command found on `PATH`.
fn provided(provides: &str) -> bool {
    if provides.starts_with('/') {
        return Path::new(provides).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(provides).is_file()))
}

/// Whether this process runs as root (so apt-get may install).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_files_and_commands() {
        assert!(provided("/"));
        assert!(!provided("/no/such/file/anywhere"));
        assert!(provided("sh"));
        assert!(!provided("no-such-command-anywhere"));
    }

    #[test]
    fn test_needs_the_browser_and_its_driver() {
        assert!(TEST_PACKAGES.contains(&CHROMIUM));
        assert!(TEST_PACKAGES.contains(&CHROMEDRIVER));
    }

    #[test]
    fn every_build_of_the_server_gets_protoc_and_the_tests_etcd() {
        for packages in [BUILD_PACKAGES, TESTS_PACKAGES, TEST_PACKAGES] {
            assert!(packages.contains(&PROTOC) && packages.contains(&PROTOBUF_INCLUDES));
        }
        assert!(TESTS_PACKAGES.contains(&ETCD));
        assert!(
            TEST_PACKAGES.contains(&ETCD),
            "the dashboard over two frontends"
        );
    }
}
