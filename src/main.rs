//! Thin entry point: parse the command line, log to stderr, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Libraries whose debug and trace events carry request and response contents: rmcp logs every tool call's
/// arguments and result (`debug!(?request)`, `debug!(?result)`), which hold secrets an agent passed and approval
/// tokens; the AWS SDK, hyper and reqwest log requests, headers and bodies (signed URLs, bearer tokens). They are
/// capped at `info` whatever `RIFT_LOG` says, so even `RIFT_LOG=debug` or `RIFT_LOG=rmcp=trace` never writes
/// those values to the log. A target matches these by prefix (`hyper` also covers `hyper_util`).
const CAPPED_AT_INFO: [&str; 8] = [
    "rmcp",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sdk",
    "aws_config",
    "hyper",
    "reqwest",
];

fn main() -> ExitCode {
    let cli = rift::cli::Cli::parse();
    // stdout carries the protocol on stdio: logs go to stderr only.
    let user = EnvFilter::try_from_env("RIFT_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    // An event is logged only when both the user's filter and the caps let it through: the caps lower the
    // noisy libraries to `info` at most and never raise anything the user's filter leaves out (an added
    // `rmcp=info` directive would replace a user's `rmcp=warn`, so this is a second filter instead).
    let caps = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPPED_AT_INFO.map(|target| (target, LevelFilter::INFO)));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_filter(user.and(caps)),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("rift: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rift::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rift: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
