//! Reading and writing inventories as YAML or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::schema::Inventory;
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

/// An inventory nests about eight levels deep; past this many a document is
/// not an inventory, and the YAML parser would spend seconds saying so (a
/// document nested 100,000 deep took over 20 s).
pub const MAX_NESTING: usize = 64;

/// The line and column where `text` first nests deeper than [`MAX_NESTING`]:
/// flow collections (`[`, `{` outside quotes and comments), block indentation
/// (two columns a level) and `- ` sequence markers.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut flow = 0usize;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut rest = line.trim_start();
        let mut dashes = 0;
        while let Some(r) = rest.strip_prefix("- ") {
            dashes += 1;
            rest = r.trim_start();
        }
        if indent / 2 + dashes > MAX_NESTING {
            return Some((n + 1, indent + 1));
        }
        let (mut single, mut double) = (false, false);
        for (col, ch) in line.chars().enumerate() {
            match ch {
                '\'' if !double => single = !single,
                '"' if !single => double = !double,
                '#' if !single && !double => break,
                '[' | '{' if !single && !double => {
                    flow += 1;
                    if flow > MAX_NESTING {
                        return Some((n + 1, col + 1));
                    }
                }
                ']' | '}' if !single && !double => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// Parses inventory text; `path` only names the input in error messages.
pub fn load_str(text: &str, path: &Path, format: InventoryFormat) -> Result<Inventory, InputError> {
    if let Some((line, column)) = too_deep(text) {
        return Err(InputError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("nested deeper than {MAX_NESTING} levels: not an inventory"),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_found_at_its_line_and_column() {
        assert_eq!(too_deep("a:\n  b: [1, {c: 2}]\n"), None);
        let flow = "x: ".to_string() + &"[".repeat(100_000);
        assert_eq!(too_deep(&flow), Some((1, 4 + MAX_NESTING)));
        let block: String = (0..200)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(
            too_deep(&block),
            Some((MAX_NESTING + 2, 2 * (MAX_NESTING + 1) + 1))
        );
        // Brackets inside quotes and comments do not count.
        let quoted = format!("a: '{}' # {}\n", "[".repeat(100), "{".repeat(100));
        assert_eq!(too_deep(&quoted), None);
    }
}
