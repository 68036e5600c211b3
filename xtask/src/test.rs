//! `cargo xtask test`: every check CI runs, in order, with a summary at the end.
//!
//! Each check is a [`Step`]: format, lints (native and wasm32), the workspace's
//! tests, the turmoil simulations (release build), then the browser tests. All
//! steps run, so one report shows everything that is wrong, unless `--fail-fast` is
//! given. Before the first, `setup` adds what the chosen steps need and the machine
//! lacks (rustup components, the wasm target, Debian packages).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::setup::{self, BUILD_PACKAGES, Package, TEST_PACKAGES, TESTS_PACKAGES};
use crate::{cmd, web};

/// One check: a name for the summary, what performs it, and what it needs
/// installed.
struct Step {
    name: &'static str,
    action: Action,
    /// rustup components the step runs.
    components: &'static [&'static str],
    /// Debian packages the step runs.
    packages: &'static [Package],
}

/// A command to run, or a function of xtask's own (which runs its commands).
enum Action {
    Command(Command),
    Function(fn(&Path) -> Result<(), String>),
}

impl Step {
    fn command(name: &'static str, command: Command) -> Step {
        Step {
            name,
            action: Action::Command(command),
            components: &[],
            packages: &[],
        }
    }

    fn needing(mut self, components: &'static [&'static str]) -> Step {
        self.components = components;
        self
    }

    fn installing(mut self, packages: &'static [Package]) -> Step {
        self.packages = packages;
        self
    }
}

/// The checks, in the order they run: the cheapest first.
fn steps() -> Vec<Step> {
    vec![
        Step::command("format", cmd::cargo(["fmt", "--all", "--check"])).needing(&["rustfmt"]),
        Step::command(
            "clippy",
            cmd::cargo([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )
        .needing(&["clippy"])
        // The first build of the workspace: the server's etcd client needs protoc.
        .installing(BUILD_PACKAGES),
        Step::command(
            "clippy wasm",
            cmd::cargo([
                "clippy",
                "-p",
                "rollcall-client",
                "-p",
                "rollcall-web-demo",
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )
        .needing(&["clippy"]),
        Step::command(
            "tests",
            cmd::cargo([
                "test",
                "--workspace",
                "--exclude",
                "rollcall-sim-tests",
                "--exclude",
                "rollcall-sim",
            ]),
        )
        // The etcd store's tests start their own etcd.
        .installing(TESTS_PACKAGES),
        // Optimised: the sweeps of rollcall's scenarios and of the kit's own tests
        // (the failover example among them) over 100+ seeds take about 20 s so,
        // and minutes in a debug build.
        Step::command(
            "simulations",
            cmd::cargo([
                "test",
                "--release",
                "-p",
                "rollcall-sim-tests",
                "-p",
                "rollcall-sim",
            ]),
        )
        .installing(BUILD_PACKAGES),
        Step {
            name: "browser",
            action: Action::Function(web::browser_tests),
            components: &[],
            packages: TEST_PACKAGES,
        },
    ]
}

/// What happened to one step.
struct Outcome {
    name: &'static str,
    result: Result<(), String>,
    took: Duration,
}

/// Runs the steps and prints the summary; fails if any step failed.
///
/// `--fail-fast` stops at the first failure; `--only NAME` runs one step (`format`,
/// `clippy`, `clippy wasm`, `tests`, `simulations`, `browser`).
pub fn test(args: &[String]) -> Result<(), String> {
    let mut fail_fast = false;
    let mut only = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--fail-fast" => fail_fast = true,
            "--only" => only = Some(iter.next().ok_or("test: --only needs a step name")?),
            other => {
                return Err(format!(
                    "test: unknown argument {other:?} (--fail-fast, --only NAME)"
                ));
            }
        }
    }
    let mut steps = steps();
    if let Some(only) = only {
        steps.retain(|step| step.name == only.as_str());
        if steps.is_empty() {
            return Err(format!("test: no step named {only:?}"));
        }
    }
    let components: Vec<&str> = steps.iter().flat_map(|s| s.components).copied().collect();
    let packages: Vec<Package> = steps.iter().flat_map(|s| s.packages).copied().collect();
    setup::ensure(&components, &packages)?;
    let mut outcomes = Vec::new();
    for mut step in steps {
        eprintln!("\n== {} ==", step.name);
        let started = Instant::now();
        let result = match &mut step.action {
            Action::Command(command) => cmd::run(command),
            Action::Function(function) => function(&cmd::workspace_root()),
        };
        let failed = result.is_err();
        outcomes.push(Outcome {
            name: step.name,
            result,
            took: started.elapsed(),
        });
        if failed && fail_fast {
            break;
        }
    }
    print_summary(&outcomes);
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} of {} step(s) failed", outcomes.len()))
    }
}

fn print_summary(outcomes: &[Outcome]) {
    eprintln!("\n== summary ==");
    for outcome in outcomes {
        let verdict = match &outcome.result {
            Ok(()) => "ok".to_owned(),
            Err(reason) => format!("FAILED ({reason})"),
        };
        eprintln!(
            "  {:<12} {:>7.1}s  {verdict}",
            outcome.name,
            outcome.took.as_secs_f64()
        );
    }
}
