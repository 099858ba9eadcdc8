//! `rift diagram SOURCE --out FILE`: draws a plan or a project. SOURCE is a plan or requirements file, a stored
//! plan id, or a project id; the extension of FILE chooses the format (.svg, .png, or .mmd for Mermaid).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, read_json};
use crate::config::{self, Overrides};
use crate::store::Store;
use crate::views::Diagram;

#[derive(Debug, Args)]
pub struct DiagramArgs {
    /// A plan or requirements file ("-" for standard input), a stored plan id (plan-...), or a project id.
    pub source: String,
    /// Where to write: FILE.svg, FILE.png or FILE.mmd (Mermaid).
    #[arg(long)]
    pub out: PathBuf,
    /// The state holding stored plans and projects: a file (default: <data dir>/rift/state.db) or a
    /// postgres:// URL.
    #[arg(long, env = "RIFT_STATE", value_name = "PATH|URL")]
    pub state: Option<PathBuf>,
}

pub fn run(args: &DiagramArgs) -> Result<(), CliError> {
    let format = match args.out.extension().and_then(|e| e.to_str()) {
        Some("svg") => Format::Svg,
        Some("png") => Format::Png,
        Some("mmd") => Format::Mermaid,
        _ => {
            return Err(CliError::Usage(format!(
                "--out {}: name a .svg, .png or .mmd (Mermaid) file",
                args.out.display()
            )));
        }
    };
    let diagram = diagram_of(args)?;
    let bytes = match format {
        Format::Svg => diagram.svg().into_bytes(),
        Format::Png => {
            diagram
                .png()
                .map_err(|e| CliError::Failed(e.to_string()))?
                .bytes
        }
        Format::Mermaid => diagram.mermaid().into_bytes(),
    };
    std::fs::write(&args.out, bytes)
        .map_err(|e| CliError::Failed(format!("could not write {}: {e}", args.out.display())))?;
    println!("wrote {}", args.out.display());
    Ok(())
}

enum Format {
    Svg,
    Png,
    Mermaid,
}

fn diagram_of(args: &DiagramArgs) -> Result<Diagram, CliError> {
    let path = Path::new(&args.source);
    if args.source == "-" || path.is_file() {
        let plan = super::terraform::plan_from(read_json(path)?, path)?;
        return plan_diagram(&plan);
    }
    let overrides = Overrides {
        state: args.state.clone(),
        ..Overrides::default()
    };
    let settings = config::load(&overrides, |name| std::env::var(name).ok())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let store = Store::new(settings.state_path.clone());
    let failed = |e: crate::store::StoreError| CliError::Failed(e.to_string());
    if args.source.starts_with("plan-") {
        let plan = store.plan(&args.source).map_err(failed)?.ok_or_else(|| {
            CliError::Usage(format!(
                "{}: no such plan in {}",
                args.source,
                store.location()
            ))
        })?;
        return plan_diagram(&plan);
    }
    let project = store.require_project(&args.source).map_err(|e| {
        CliError::Usage(format!(
            "{}: not a file, a plan id or a project: {e}",
            args.source
        ))
    })?;
    let resources = store.resources(&project.id).map_err(failed)?;
    let incidents = store
        .incidents(&project.id, false, crate::project::INCIDENTS_READ)
        .map_err(failed)?;
    Ok(Diagram::of_project(&project.id, &resources, &incidents))
}

fn plan_diagram(plan: &crate::model::Plan) -> Result<Diagram, CliError> {
    let prices = crate::pricing::PriceBook::default()
        .current()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let costs =
        crate::engine::monthly_costs(plan, &prices).map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(Diagram::of_plan(plan, &costs))
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Resources in the diagram.
    #[arg(long, default_value_t = 100)]
    pub resources: usize,
    /// Timed runs of each format.
    #[arg(long, default_value_t = 50)]
    pub iterations: usize,
}

/// Times the SVG and the PNG of a plan with `resources` resources on both clouds. Prints JSON (ms).
pub fn bench(args: &BenchArgs) -> Result<(), CliError> {
    let plan = super::estimate::large_plan(args.resources)?;
    let diagram = plan_diagram(&plan)?;
    let failed = |e: crate::views::PngError| CliError::Failed(e.to_string());
    let png = diagram.png().map_err(failed)?;
    let mut svg_ms = Vec::new();
    let mut png_ms = Vec::new();
    for _ in 0..args.iterations.max(1) {
        let started = std::time::Instant::now();
        std::hint::black_box(diagram.svg());
        svg_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = std::time::Instant::now();
        std::hint::black_box(diagram.png().map_err(failed)?);
        png_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let summary = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        serde_json::json!({"min": at(0.0), "median": at(0.5), "p95": at(0.95), "max": at(1.0)})
    };
    super::print_json(&serde_json::json!({
        "resources": diagram.nodes.len(),
        "png_pixels": [png.width, png.height],
        "iterations": svg_ms.len(),
        "svg_ms": summary(svg_ms),
        "png_ms": summary(png_ms),
    }))
}
