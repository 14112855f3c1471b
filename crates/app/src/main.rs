//! The `espace-formation` binary.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = espace_app::cli::Cli::parse();
    match espace_app::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Erreur : {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
