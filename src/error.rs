//! Typed errors of the library; `main` maps them to exit codes (docs/design.md, "Exit codes").

use std::path::PathBuf;

/// Every exit code whpg-plan gives, in one place (docs/design.md, "Exit codes").
/// Scripts and ticket automation rely on these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Done; for a verdict: a plan that keeps the 6 cluster as a rollback fits.
    Success,
    /// A runtime error.
    RuntimeError,
    /// A usage error or an invalid input file.
    UsageError,
    /// Only a plan that deletes the 6 cluster first fits.
    OnlyDestructiveFits,
    /// No available plan fits.
    NothingFits,
    /// Something could not be measured: no verdict (`watch`: a host did not answer).
    Incomplete,
    /// `watch`: a filesystem holds more than the plan said (beyond `--margin`),
    /// though none is heading over its limit.
    AbovePlan,
}

impl ExitCode {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::RuntimeError => 1,
            ExitCode::UsageError => 2,
            ExitCode::OnlyDestructiveFits => 3,
            ExitCode::NothingFits => 4,
            ExitCode::Incomplete => 5,
            ExitCode::AbovePlan => 6,
        }
    }
}

/// Bad input: a file that cannot be read or does not make sense. Exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read at all.
    #[error("{path}: {source}", path = path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The path names a FIFO, a device, a directory…: only regular files are read.
    #[error("{path}: is {kind}; only a regular file is read (a FIFO or a device could block or never end)", path = path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead ("a FIFO").
        kind: &'static str,
    },
    /// The file is larger than any input of its kind can be.
    #[error("{path}: {size} bytes; the limit is {limit} bytes for this kind of input", path = path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or the bytes read before stopping).
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The file is not valid YAML/JSON or does not match the schema.
    #[error("{path}:{line}:{column}: {message}", path = path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parsed but describes an impossible cluster.
    #[error("{path}: invalid inventory:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"), path = path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, each naming the host or instance.
        problems: Vec<String>,
    },
    /// A gpinitsystem_config or other option file could not be used.
    #[error("{}: {message}", at_line(path, *line))]
    Config {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the problem is the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An option value that makes no sense.
    #[error("{0}")]
    Usage(String),
}

/// `file:line`, or `file` when the line is 0 (the whole file).
fn at_line(path: &std::path::Path, line: usize) -> String {
    match line {
        0 => path.display().to_string(),
        n => format!("{}:{n}", path.display()),
    }
}

/// A file or stream that could not be written. Exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// An output file (report, chart, layout file, inventory, watch log).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Standard output (a closed pipe, a full disk behind a redirect).
    #[error("writing to standard output: {0}")]
    Stdout(std::io::Error),
    /// The runbook script cannot be written for the plan asked for (it does
    /// not fit, is not available, or no plan is recommended): a usage error.
    #[error("{}: {message}", path.display())]
    Script {
        /// The --script file (not written).
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("drawing {what}: {source}")]
    Chart {
        /// Which chart.
        what: String,
        /// What the drawing library said.
        source: ChartError,
    },
}

/// What the drawing library (plotters) said when a chart could not be drawn.
/// Its errors are generic over the backend, so their message is what is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ChartError(pub String);

#[cfg(test)]
mod tests {
    use super::ExitCode;

    /// A problem with a whole file names no line; one on a line names it.
    #[test]
    fn config_errors_name_the_line_when_there_is_one() {
        let at = |line| {
            super::InputError::Config {
                path: "/etc/gp.conf".into(),
                line,
                message: "bad".into(),
            }
            .to_string()
        };
        assert_eq!(at(0), "/etc/gp.conf: bad");
        assert_eq!(at(7), "/etc/gp.conf:7: bad");
    }

    /// The documented contract, number by number.
    #[test]
    fn exit_codes_are_the_documented_numbers() {
        let all = [
            (ExitCode::Success, 0),
            (ExitCode::RuntimeError, 1),
            (ExitCode::UsageError, 2),
            (ExitCode::OnlyDestructiveFits, 3),
            (ExitCode::NothingFits, 4),
            (ExitCode::Incomplete, 5),
            (ExitCode::AbovePlan, 6),
        ];
        for (e, n) in all {
            assert_eq!(e.code(), n, "{e:?}");
        }
    }
}
