//! The device lab: simulated Cisco IOS, Aruba AOS-CX and Juniper Junos devices served over SSH.

use std::process::ExitCode;

#[derive(clap::Args, Debug, Clone)]
pub struct LabArgs {
    /// Print one JSON object per lab device (name, platform, address, port, username, password) and exit.
    #[arg(long)]
    pub list: bool,
    /// Scale the lab to N devices instead of the built-in topology.
    #[arg(long)]
    pub devices: Option<usize>,
}

pub async fn run_cli(_args: LabArgs) -> ExitCode {
    ExitCode::from(2)
}
