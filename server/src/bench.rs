//! `netledger bench ...`: benchmarks (filled in below).

use std::process::ExitCode;

use clap::Subcommand;
use sqlx::PgPool;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Event store and projection throughput.
    Store {
        /// Scaled-down run for CI smoke.
        #[arg(long)]
        quick: bool,
    },
}

pub async fn run(_command: BenchCommand, _pool: &PgPool) -> ExitCode {
    ExitCode::SUCCESS
}
