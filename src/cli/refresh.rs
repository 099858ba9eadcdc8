//! `rift refresh-prices`: fetch live prices into the overlay that later estimates prefer.

use clap::Args;

use super::estimate::today;
use super::{CliError, print_json};
use crate::model::Provider;
use crate::pricing::data_dir;
use crate::pricing::refresh::{self, DigitalOceanSource, RefreshError, RefreshOptions};

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Provider to refresh (repeat for both; default both).
    #[arg(long = "provider", value_parser = parse_provider)]
    pub providers: Vec<Provider>,
    /// AWS region to fetch (repeatable; default us-east-1).
    #[arg(long = "aws-region")]
    pub aws_regions: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_provider(text: &str) -> Result<Provider, String> {
    Provider::ALL
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| format!("\"{text}\" is not a provider: use digitalocean or aws"))
}

pub async fn run(args: &RefreshArgs) -> Result<(), CliError> {
    let data_dir = data_dir().ok_or_else(|| {
        CliError::Usage("no data directory for the price overlay: set RIFT_DATA_DIR".to_string())
    })?;
    let options = RefreshOptions {
        providers: args.providers.clone(),
        aws_regions: args.aws_regions.clone(),
        data_dir,
        today: today(),
        digitalocean: DigitalOceanSource::from_env(),
    };
    let report = refresh::refresh(&options).await.map_err(|e| match e {
        RefreshError::InvalidArgument { .. } => CliError::Usage(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    })?;
    if args.json {
        return print_json(&report);
    }
    for provider in &report.providers {
        match &provider.error {
            Some(error) => println!("{}: not refreshed: {error}", provider.provider),
            None => println!(
                "{}: {} prices refreshed",
                provider.provider, provider.prices
            ),
        }
        for change in &provider.changes {
            println!("  {}: ${} -> ${}", change.key, change.before, change.after);
        }
        for warning in &provider.warnings {
            println!("  warning: {warning}");
        }
    }
    println!(
        "overlay: {} (refreshed {})",
        report.overlay, report.refreshed
    );
    Ok(())
}
