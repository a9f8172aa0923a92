//! Reading and writing inventories as YAML or JSON.

use std::path::Path;

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
    let text = crate::input::read_text(path, crate::input::MAX_DOCUMENT_BYTES)?;
    load_str(&text, path, InventoryFormat::for_path(path))
}

/// An inventory nests about eight levels deep; past this many a document is
/// not an inventory (and libyaml's time grows with the square of the depth:
/// a document nested 100,000 deep took over 20 s).
pub const MAX_NESTING: usize = 64;

/// How many nodes aliases may add beyond the ones written: an inventory as
/// `collect` writes it has no alias at all, and a hand-edited one needs few.
/// A "billion laughs" document (an alias of an alias of …) stops here.
pub const MAX_ALIAS_EXPANSION: u64 = 100_000;

/// Walks the YAML `text` as the events of a real parser (saphyr-parser, which
/// stops at the first event past a limit, so the walk is linear) and checks,
/// before the deserializer builds anything: nesting depth at most
/// [`MAX_NESTING`]; what aliases add at most [`MAX_ALIAS_EXPANSION`] nodes
/// and at most the document's own size in bytes. Returns the line, column
/// and reason of the first violation or syntax error.
pub fn yaml_limits(text: &str) -> Option<(usize, usize, String)> {
    use saphyr_parser::{Event, Parser};
    use std::collections::HashMap;
    /// Expanded size of a node: how many nodes, and how many scalar bytes.
    #[derive(Clone, Copy, Default)]
    struct Size {
        nodes: u64,
        bytes: u64,
    }
    impl Size {
        fn add(&mut self, o: Size) {
            self.nodes = self.nodes.saturating_add(o.nodes);
            self.bytes = self.bytes.saturating_add(o.bytes);
        }
    }
    // One frame per open collection: its anchor and its expanded size so far.
    let mut stack: Vec<(usize, Size)> = vec![(0, Size::default())];
    let mut anchors: HashMap<usize, Size> = HashMap::new();
    let (mut written, mut expanded) = (0u64, 0u64);
    let mut expanded_bytes = 0u64;
    let byte_budget = text.len() as u64;
    for item in Parser::new_from_str(text) {
        // The walk must not hand an input it could not finish to libyaml,
        // whose time on it is unbounded: its error is the answer.
        let (event, span) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                // saphyr's own guard (flow levels, checked while scanning
                // ahead) fires before ours on deep flow collections.
                let why = if e.info().contains("recursion limit") {
                    format!("nested deeper than {MAX_NESTING} levels: not an inventory")
                } else {
                    e.info().to_string()
                };
                return Some((m.line(), m.col() + 1, why));
            }
        };
        let at = |why: String| Some((span.start.line(), span.start.col() + 1, why));
        let leaf = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() > MAX_NESTING {
                    return at(format!(
                        "nested deeper than {MAX_NESTING} levels: not an inventory"
                    ));
                }
                written += 1;
                stack.push((anchor, Size { nodes: 1, bytes: 0 }));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (anchor, size) = stack.pop().unwrap_or_default();
                if anchor != 0 {
                    anchors.insert(anchor, size);
                }
                size
            }
            Event::Scalar(value, _, anchor, _) => {
                written += 1;
                let size = Size {
                    nodes: 1,
                    bytes: value.len() as u64,
                };
                if anchor != 0 {
                    anchors.insert(anchor, size);
                }
                size
            }
            Event::Alias(id) => {
                let size = anchors
                    .get(&id)
                    .copied()
                    .unwrap_or(Size { nodes: 1, bytes: 0 });
                expanded = expanded.saturating_add(size.nodes);
                expanded_bytes = expanded_bytes.saturating_add(size.bytes);
                if expanded > MAX_ALIAS_EXPANSION || expanded_bytes > byte_budget {
                    return at(format!(
                        "aliases expand to more than {MAX_ALIAS_EXPANSION} nodes or more bytes \
                         than the file holds ({expanded} nodes, {expanded_bytes} bytes so far; \
                         {written} written): not an inventory"
                    ));
                }
                size
            }
            _ => continue,
        };
        if let Some((_, parent)) = stack.last_mut() {
            parent.add(leaf);
        }
    }
    None
}

/// Parses inventory text; `path` only names the input in error messages.
pub fn load_str(text: &str, path: &Path, format: InventoryFormat) -> Result<Inventory, InputError> {
    if format == InventoryFormat::Yaml
        && let Some((line, column, message)) = yaml_limits(text)
    {
        return Err(InputError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
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

/// Writes the inventory to `path` atomically, in the format its extension
/// names; only a regular file is replaced.
pub fn save(inventory: &Inventory, path: &Path) -> Result<(), crate::error::OutputError> {
    crate::output::write_atomic(
        path,
        to_string(inventory, InventoryFormat::for_path(path)).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Depth is the parser's, not a guess from the text: a `#` glued to a
    /// word or an apostrophe in a flow scalar does not hide it.
    #[test]
    fn deep_nesting_is_found_at_its_line_and_column() {
        assert!(yaml_limits("a:\n  b: [1, {c: 2}]\n").is_none());
        let flow = "x: ".to_string() + &"[".repeat(100_000);
        // The parser's own flow limit (saphyr stops at 256 levels) or ours.
        let (line, _, why) = yaml_limits(&flow).unwrap();
        assert_eq!(line, 1, "{why}");
        let block: String = (0..200)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(yaml_limits(&block).unwrap().0, MAX_NESTING + 1);
        // What fooled the old text scan: a glued `#` and an apostrophe.
        let glued = format!("a: x#{}\nb: {}", "[".repeat(10), "[".repeat(100_000));
        assert_eq!(yaml_limits(&glued).unwrap().0, 2);
        let apostrophe = format!("a: [it's, {}", "[".repeat(100_000));
        assert!(yaml_limits(&apostrophe).is_some());
        // Brackets inside quotes and comments do not count.
        let quoted = format!("a: '{}' # {}\n", "[".repeat(100), "{".repeat(100));
        assert!(yaml_limits(&quoted).is_none());
    }

    /// Ten levels of ten aliases each would be 10^10 nodes.
    #[test]
    fn an_alias_bomb_stops_at_the_expansion_limit() {
        let mut doc = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for i in 1..10 {
            let refs = vec![format!("*l{}", i - 1); 10].join(", ");
            doc.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        let (line, _, why) = yaml_limits(&doc).unwrap();
        // l4 holds 10^4 x's + nodes: l5 (10^5) is past 100,000.
        assert!(line <= 6, "{line}: {why}");
        assert!(why.contains("aliases expand"), "{why}");
        // A few aliases of a small anchor are fine.
        assert!(yaml_limits("a: &a [1, 2]\nb: *a\nc: *a\n").is_none());
    }
}
