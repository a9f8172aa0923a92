//! Reading and writing inventories as YAML or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Inventory;
use crate::error::InputError;

/// The serialization of an inventory file, chosen by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    /// `.yaml`, `.yml`, or anything else.
    Yaml,
    /// `.json`.
    Json,
}

impl InventoryFormat {
    /// JSON for a `.json` extension, YAML otherwise.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => InventoryFormat::Json,
            _ => InventoryFormat::Yaml,
        }
    }
}

/// Reads and parses an inventory file (no semantic validation; see [`super::validate`]).
pub fn load(path: &Path) -> Result<Inventory, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    load_str(&text, path, InventoryFormat::for_path(path))
}

/// Parses inventory text; `path` only names the input in error messages.
pub fn load_str(text: &str, path: &Path, format: InventoryFormat) -> Result<Inventory, InputError> {
    match format {
        InventoryFormat::Json => serde_json::from_str(text).map_err(|e| InputError::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: strip_location(&e.to_string()),
        }),
        InventoryFormat::Yaml => serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            InputError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: strip_location(&e.to_string()),
            }
        }),
    }
}

/// Drops the " at line N column M" that serde's messages end with: the error
/// puts file:line:column in front instead.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The inventory as text in the given format.
pub fn to_string(inventory: &Inventory, format: InventoryFormat) -> String {
    match format {
        InventoryFormat::Json => {
            let mut s = serde_json::to_string_pretty(inventory).expect("inventory serializes");
            s.push('\n');
            s
        }
        InventoryFormat::Yaml => serde_yaml::to_string(inventory).expect("inventory serializes"),
    }
}

/// Writes the inventory to `path` atomically, in the format its extension names.
pub fn save(inventory: &Inventory, path: &Path) -> std::io::Result<()> {
    write_atomic(
        path,
        to_string(inventory, InventoryFormat::for_path(path)).as_bytes(),
    )
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: a reader never sees a half-written file, and a failed run leaves
/// none behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
