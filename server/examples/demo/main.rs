//! The seed's day-7 demo on rollcall: `cargo run --example demo`.
//!
//! Starts a registry on a loopback port chosen by the OS, two servers of the seed's
//! `Foo` service that register with heartbeats over the seed's header protocol,
//! then makes five concurrent calls of `Foo.Sum` at random servers and five
//! concurrent broadcasts of `Foo.Sum` and of `Foo.Sleep` under a 2 s deadline. The
//! output follows the seed's: Sleep of 2 s or more misses the deadline.

mod foo;
mod scenario;

use std::process::ExitCode;
use std::sync::Arc;

use scenario::{BoxError, Demo, Report};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let report: Report = Arc::new(|line| println!("{line}"));
    let demo = Demo::start(report).await?;
    demo.call().await?;
    demo.broadcast().await?;
    demo.stop().await;
    Ok(())
}
