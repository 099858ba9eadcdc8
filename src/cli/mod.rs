//! The command line: arguments are parsed and validated into settings before anything runs.

mod compare;
mod diagram;
mod estimate;
mod refresh;
mod schemas;
mod serve;
mod terraform;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use serve::ServeArgs;

#[derive(Debug, Parser)]
#[command(
    name = "rift",
    version,
    about = "An MCP server that plans, prices and provisions infrastructure on DigitalOcean and AWS"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (the default) or streamable HTTP (--http ADDR).
    Serve(ServeArgs),
    /// Write the JSON Schema of every tool's input and output (and the tool list with annotations).
    Schemas {
        /// Directory to write into.
        #[arg(long, default_value = "schemas")]
        out: PathBuf,
        /// Compare with the files in --out instead of writing; fail if they differ.
        #[arg(long)]
        check: bool,
    },
    /// Plan a deployment from a requirements file (JSON, as plan_deployment takes) and print the plan as JSON.
    Plan {
        /// The requirements file; "-" reads standard input.
        file: PathBuf,
    },
    /// Estimate the monthly cost of a plan or requirements file, line by line.
    Estimate(estimate::EstimateArgs),
    /// Price requirements on DigitalOcean and on AWS side by side, and the cheapest mix.
    Compare(compare::CompareArgs),
    /// Fetch live prices (DigitalOcean /v2/sizes, AWS Price List API) into the local price overlay.
    RefreshPrices(refresh::RefreshArgs),
    /// Write the Terraform files of a plan or requirements file into a directory.
    Terraform(terraform::TerraformArgs),
    /// Draw a plan, requirements file, stored plan or project as SVG, PNG or Mermaid.
    Diagram(diagram::DiagramArgs),
    /// Serve the dashboard (projects, diagrams, the provision form) on loopback and print its address.
    Ui(serve::UiArgs),
    /// Time the estimator on a large plan (tools/bench_estimate runs it).
    #[command(hide = true)]
    BenchEstimate(estimate::BenchArgs),
    /// Time the diagram's SVG and PNG on a large plan (tools/bench_views runs it).
    #[command(hide = true)]
    BenchDiagram(diagram::BenchArgs),
}

/// A failure the binary reports on stderr; the exit code tells usage errors from runtime ones.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Serve(#[from] crate::server::ServeError),
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Serve(_) | CliError::Failed(_) => 1,
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Schemas { out, check } => schemas::run(&out, check),
        Command::Plan { file } => {
            let request = read_json(&file)?;
            let plan =
                crate::planner::plan(&request).map_err(|e| CliError::Usage(e.to_string()))?;
            print_json(&plan)
        }
        Command::Estimate(args) => estimate::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::RefreshPrices(args) => refresh::run(&args).await,
        Command::BenchEstimate(args) => estimate::bench(&args),
        Command::BenchDiagram(args) => diagram::bench(&args),
        Command::Terraform(args) => terraform::run(&args),
        Command::Diagram(args) => diagram::run(&args),
        Command::Ui(args) => serve::run(args.into_serve()).await,
    }
}

/// Reads a JSON document from a file or standard input ("-"), naming the bad field on failure.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<T, CliError> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| CliError::Usage(format!("could not read standard input: {e}")))?
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("could not read {}: {e}", path.display())))?
    };
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let field = e.path().to_string();
        CliError::Usage(format!("{}: {field}: {}", path.display(), e.into_inner()))
    })
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("could not encode the result: {e}")))?;
    println!("{text}");
    Ok(())
}
