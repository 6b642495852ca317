//! `shmsim`: watch Linux share memory, step by step.
use clap::Parser;

/// shmsim: a teaching simulator of how Linux shares memory.
#[derive(Parser)]
#[command(name = "shmsim", version, about, long_about = None)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
