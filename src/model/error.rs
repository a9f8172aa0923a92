//! Why the model could not evaluate an inventory with the given options.
//! Each names the host, path or file it is about; `app` maps every one to
//! exit code 2 (the inputs do not describe something the model can place).

/// A model failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A filesystem a plan needs is not among the host's measured ones.
    #[error("host {host}: filesystem {mount} is not in the inventory")]
    UnknownFilesystem {
        /// Host.
        host: String,
        /// Mount point.
        mount: String,
    },
    /// A host has no measured filesystem at all.
    #[error("host {host} has no measured filesystem")]
    HostNotMeasured {
        /// Host.
        host: String,
    },
    /// No measured filesystem of the host holds the path.
    #[error("host {host}: no measured filesystem holds {path}")]
    PathNotMeasured {
        /// Host.
        host: String,
        /// The directory (a data directory, tablespace or `--backup-dir`).
        path: String,
    },
    /// An instance without measured bytes reached the model.
    #[error("instance {0} was not measured")]
    InstanceNotMeasured(String),
    /// The 7 layout names a host the inventory does not have.
    #[error("target host {0} is not in the inventory: measure it too")]
    TargetHostNotMeasured(String),
    /// The 7 layout file cannot be placed.
    #[error("{path}: {message}")]
    TargetLayout {
        /// The gpinitsystem_config.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value that reaches a generated shell file (runbook, script, layout
    /// files gpinitsystem sources) and cannot be written there safely: a line
    /// break would start a command of its own, and `~` / `|` separate the
    /// fields of gpinitsystem's and gpaddmirrors' input files.
    #[error("{what} {value:?} cannot be written into the runbook and layout files: {why}")]
    Unquotable {
        /// What the value is (a data directory, a database name, …).
        what: String,
        /// The value, debug-escaped so the line break shows.
        value: String,
        /// Which character and why.
        why: String,
    },
}
