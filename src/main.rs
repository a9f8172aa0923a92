//! The thin binary: parse arguments, run, map the result to an exit code.

use clap::Parser;

fn main() {
    let cli = whpg_plan::cli::Cli::parse();
    let code = match whpg_plan::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("whpg-plan: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code.code());
}
