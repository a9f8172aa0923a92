//! Exporters: each renders a model [`crate::model::Estimate`] to bytes (the hyperfine
//! pattern: one small trait, one file per format). Reports only render.

pub mod charts;
pub mod files;
pub(crate) mod html;
mod markdown;
pub mod script;
mod table;
pub(crate) mod view;

pub use html::HtmlExporter;
pub use markdown::MarkdownExporter;
pub use script::ScriptExporter;
pub use table::TableExporter;
pub use view::{Exporter, JsonExporter, YamlExporter, verdict_sentence};
