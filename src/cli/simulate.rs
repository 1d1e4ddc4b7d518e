//! `liftrescue simulate storm`: a storm of entrapments on the demo region through the real
//! desk on a simulated clock, greedy against storm mode ([`crate::sim`]).

use crate::sim::{Mode, SimSpec, simulate};
use clap::{Args, Subcommand};
use std::process::ExitCode;

/// `liftrescue simulate …`
#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Trap many people at once in one area of the demo region (a blackout) and play it
    /// through the dispatch desk on a simulated clock, once per mode, with simulated crews and
    /// operator; print the figures of each mode and the change (or JSON). The same seed gives
    /// the same figures. Nothing is written anywhere.
    Storm(StormArgs),
}

/// The storm to simulate.
#[derive(Debug, Clone, Args)]
pub struct StormArgs {
    /// Entrapments, each on a different lift of the area.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub entrapments: u32,
    /// Minutes over which the entrapments start.
    #[arg(long, default_value_t = 5.0, value_parser = parse_minutes)]
    pub minutes: f64,
    /// A street (街道) or district code of the demo region (default: the street with most
    /// lifts).
    #[arg(long)]
    pub area: Option<String>,
    /// Seed of the storm's and the crews' random draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// `greedy` (today's practice), `storm` (storm mode's rules) or `both`.
    #[arg(long, default_value = "both", value_parser = ["greedy", "storm", "both"])]
    pub mode: String,
    /// Share of alarms reporting a person ill or a child alone.
    #[arg(long, default_value_t = 0.05, value_parser = parse_share)]
    pub special_share: f64,
    /// Share of pages crews decline.
    #[arg(long, default_value_t = 0.0, value_parser = parse_share)]
    pub decline_share: f64,
    /// Lifts in the demo region (Yuzhong has about 15,000).
    #[arg(long, default_value_t = 15_000, value_parser = clap::value_parser!(u32).range(100..=500_000))]
    pub lifts: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_minutes(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 1_440.0 => Ok(m),
        _ => Err(format!(
            "{s:?} is not a number of minutes above 0 and at most 1440"
        )),
    }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 and 1")),
    }
}

/// Runs `simulate …`; exit 2 when the storm does not fit the region.
pub(super) fn run(command: SimulateCommand) -> ExitCode {
    let SimulateCommand::Storm(args) = command;
    let modes = match args.mode.as_str() {
        "greedy" => vec![Mode::Greedy],
        "storm" => vec![Mode::Storm],
        _ => vec![Mode::Greedy, Mode::Storm],
    };
    let spec = SimSpec {
        region: crate::demo::RegionSpec {
            lifts: args.lifts as usize,
            ..Default::default()
        },
        entrapments: args.entrapments as usize,
        minutes: args.minutes,
        area: args.area.clone(),
        seed: args.seed,
        special_share: args.special_share,
        decline_share: args.decline_share,
        ..SimSpec::default()
    };
    let started = std::time::Instant::now();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(simulate(&spec, &modes)) {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(json) => println!("{json}"),
                    Err(e) => {
                        eprintln!("error: write the report as JSON: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print!("{}", report.table());
            }
            eprintln!("simulated in {:.1} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(crate::sim::SimError::Scenario(why)) => {
            eprintln!("error: {why}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
