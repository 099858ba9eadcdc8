//! `rift compare <requirements.json>`: DigitalOcean and AWS side by side, and the cheapest mix.

use std::path::PathBuf;

use clap::Args;

use super::estimate::{LINE_HEADERS, UsageArgs, dollars, line_rows, prices, section, table, today};
use super::{CliError, print_json, read_json};
use crate::model::DeploymentRequest;
use crate::pricing::{self, Comparison, ComponentPrice};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Requirements (as plan_deployment takes them); "-" reads standard input.
    pub file: PathBuf,
    #[command(flatten)]
    pub usage: UsageArgs,
    /// Print the comparison as JSON (what the compare_providers tool returns).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    let request: DeploymentRequest = read_json(&args.file)?;
    let usage = args.usage.validated()?;
    let (comparison, _) = pricing::compare(&request, &*prices()?, &usage, today())
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.file.display())))?;
    if args.json {
        return print_json(&comparison);
    }
    print!("{}", render(&comparison));
    Ok(())
}

fn cell(price: Option<&ComponentPrice>) -> (String, String) {
    match price {
        Some(p) => (p.size.clone().unwrap_or_default(), dollars(p.monthly)),
        None => ("-".to_string(), "-".to_string()),
    }
}

fn render(comparison: &Comparison) -> String {
    let mut out = format!(
        "DigitalOcean vs AWS (prices in {}, catalog of {})\n\n",
        comparison.currency, comparison.catalog.as_of
    );
    let mut rows: Vec<Vec<String>> = comparison
        .components
        .iter()
        .map(|c| {
            let (do_size, do_monthly) = cell(c.digitalocean.as_ref());
            let (aws_size, aws_monthly) = cell(c.aws.as_ref());
            vec![
                c.component.clone(),
                do_size,
                do_monthly,
                aws_size,
                aws_monthly,
                c.cheaper.map(|p| p.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let total = |i: usize| {
        comparison
            .providers
            .get(i)
            .and_then(|s| s.total_monthly)
            .map_or_else(|| "-".to_string(), dollars)
    };
    rows.push(vec![
        "TOTAL".to_string(),
        String::new(),
        total(0),
        String::new(),
        total(1),
        comparison
            .cheapest_single
            .map(|p| p.to_string())
            .unwrap_or_default(),
    ]);
    out.push_str(&table(
        &[
            "COMPONENT",
            "DIGITALOCEAN",
            "MONTHLY",
            "AWS",
            "MONTHLY",
            "CHEAPER",
        ],
        &rows,
        &[2, 4],
    ));
    for side in &comparison.providers {
        out.push_str(&format!("\n{}:\n", side.provider));
        match (side.total_monthly, &side.error) {
            (Some(total), _) => {
                out.push_str(&table(&LINE_HEADERS, &line_rows(&side.lines), &[4, 5]));
                out.push_str(&format!("total {}/month\n", dollars(total)));
            }
            (None, Some(error)) => out.push_str(&format!("  not possible: {error}\n")),
            (None, None) => {}
        }
    }
    if let Some(mix) = &comparison.cheapest_mix {
        let placed: Vec<String> = mix
            .assignments
            .iter()
            .map(|a| format!("{} on {}", a.component, a.provider))
            .collect();
        out.push_str(&format!(
            "\nCheapest mix: {} = {}/month (cross-cloud traffic {}/month; {} against the cheapest single provider)\n",
            placed.join(", "),
            dollars(mix.total_monthly),
            dollars(mix.cross_cloud_monthly),
            if mix.versus_cheapest_single < 0.0 {
                format!("saves {}", dollars(-mix.versus_cheapest_single))
            } else {
                format!("costs {} more", dollars(mix.versus_cheapest_single))
            }
        ));
        if let Some(caveat) = &mix.latency_caveat {
            out.push_str(&format!("Latency: {caveat}\n"));
        }
    }
    out.push_str(&format!(
        "\nRecommendation: {}\n",
        comparison.recommendation
    ));
    section(&mut out, "Assumptions", &comparison.assumptions);
    section(&mut out, "Notes", &comparison.notes);
    for side in &comparison.providers {
        section(
            &mut out,
            &format!("Warnings ({})", side.provider),
            &side.warnings,
        );
    }
    if let Some(mix) = &comparison.cheapest_mix {
        section(&mut out, "Warnings (cheapest mix)", &mix.warnings);
    }
    if comparison
        .providers
        .iter()
        .flat_map(|s| &s.lines)
        .any(|l| !l.verified)
    {
        out.push_str("\n* unverified price\n");
    }
    out
}
