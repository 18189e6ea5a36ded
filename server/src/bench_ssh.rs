//! `netledger bench ssh`: config backup of lab devices over SSH, against netmiko on the same lab.

use std::process::ExitCode;

#[derive(clap::Args, Debug, Clone)]
pub struct SshBench {
    /// Lab devices to back up.
    #[arg(long, default_value_t = 1_000)]
    pub devices: usize,
    /// Concurrent SSH sessions.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
}

pub async fn run(_args: SshBench) -> ExitCode {
    ExitCode::from(2)
}
