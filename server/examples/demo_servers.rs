//! Two (or more) RPC servers of the seed's `Foo` service, each kept registered by a
//! heartbeat, for the dashboard and the browser tests to list and call.
//!
//! ```text
//! cargo run -p rollcall-server --example demo_servers -- --registry http://127.0.0.1:9999
//! ```
//!
//! Each server listens on 127.0.0.1 (port 0 unless `--ports` says otherwise),
//! registers in the JSON API's service `default` with metadata `name=<its name>`,
//! prints `serving <addr>` once it is registered-to-be, and runs until Ctrl-C or
//! SIGTERM, when it deregisters. Methods, as in the seed: `Foo.Sum` answers
//! `Num1 + Num2`; `Foo.Sleep` sleeps `Num1` seconds first.
//!
//! Browser pages may call them from the registry's origin (where the registry
//! serves the dashboard) and from each `--allow-origin`: a demo's choice, so the
//! dashboard can show calls. A real RPC host opens to no page unless it must.
//! `--token` is sent with the heartbeats, for a registry with tokens on.

#[path = "demo/foo.rs"]
mod foo;

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Parser;
use rollcall_client::transport::HyperTransport;
use rollcall_client::{Heartbeat, HeartbeatOptions, RegistryClient, RegistryEndpoint};
use rollcall_protocol::{RegisterRequest, Token};
use rollcall_server::{ConnOptions, serve};
use tokio::net::TcpListener;
use tokio::sync::watch;

#[derive(Debug, Parser)]
#[command(about = "Runs the seed's Foo RPC servers, registered with a rollcall registry")]
struct Args {
    /// Base URL of the registry's JSON API, or the base URLs of its frontends,
    /// comma-separated (rollcall over etcd): heartbeats fail over between them.
    #[arg(long, default_value = "http://127.0.0.1:9999")]
    registry: String,
    /// Service to register in.
    #[arg(long, default_value = "default")]
    service: String,
    /// One server per name, registered with metadata `name=<name>`.
    #[arg(long, value_delimiter = ',', default_value = "foo-1,foo-2")]
    names: Vec<String>,
    /// Ports to listen on, one per name (0 or absent: any free port).
    #[arg(long, value_delimiter = ',')]
    ports: Vec<u16>,
    /// Address to listen on and register.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// TTL to ask the registry for, in milliseconds (the registry's default if
    /// absent); heartbeats follow from the granted TTL. Tests use a short one.
    #[arg(long)]
    ttl_ms: Option<u64>,
    /// More origins whose pages may call the servers, besides the registry's own
    /// (repeatable or comma-separated; `*` for any).
    #[arg(long = "allow-origin", value_delimiter = ',')]
    allow_origins: Vec<String>,
    /// A write token for the registry, if it has tokens on.
    #[arg(long, env = "ROLLCALL_DEMO_TOKEN", hide_env_values = true)]
    token: Option<Token>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if args.ports.len() > args.names.len() {
        return Err("more --ports than --names".into());
    }
    let registry = RegistryEndpoint::parse_json(&args.registry, args.service.as_str())?;
    // A demo's choice: pages of the registry's origins (the dashboard each
    // frontend serves) and of each --allow-origin may call these servers.
    let mut methods = foo::foo_service()?;
    for url in registry.urls() {
        methods = methods.allow_origin(origin_of(url)?);
    }
    for origin in &args.allow_origins {
        methods = methods.allow_origin(origin.as_str());
    }
    let (stop, stopped) = watch::channel(false);
    let mut servers = Vec::new();
    let mut heartbeats = Vec::new();
    for (i, name) in args.names.iter().enumerate() {
        let port = args.ports.get(i).copied().unwrap_or(0);
        let listener = TcpListener::bind(SocketAddr::new(args.host, port)).await?;
        let addr = listener.local_addr()?.to_string();
        let mut stopped = stopped.clone();
        let shutdown = async move {
            // An error means the sender is gone: stop as well.
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        servers.push(tokio::spawn(serve(
            listener,
            methods.clone(),
            ConnOptions::default(),
            shutdown,
        )));

        let mut client = RegistryClient::new(HyperTransport::new(), registry.clone());
        if let Some(token) = &args.token {
            client = client.with_token(token.clone());
        }
        let request = RegisterRequest {
            addr: addr.clone(),
            metadata: [("name".to_owned(), name.clone())].into(),
            weight: None,
            ttl_ms: args.ttl_ms,
        };
        heartbeats.push(Heartbeat::start(
            client,
            request,
            HeartbeatOptions::default(),
        ));
        println!("serving {addr}");
    }

    shutdown_signal().await?;
    for heartbeat in heartbeats {
        let addr = heartbeat.addr().to_owned();
        if let Err(error) = heartbeat.stop().await {
            // The registry may be gone first; the instance then simply expires.
            tracing::warn!(%addr, %error, "could not deregister");
        }
    }
    stop.send_replace(true);
    for server in servers {
        server.await??;
    }
    Ok(())
}

/// The origin (`scheme://host:port`) of a URL such as `http://127.0.0.1:9999/x`.
fn origin_of(url: &str) -> Result<String, Box<dyn Error>> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("--registry {url:?} is not an http(s):// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Ok(format!("{scheme}://{authority}"))
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM, the signal a test harness sends.
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}
