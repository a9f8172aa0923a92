//! The inventory: the saved measurement of a cluster (`whpg-plan/inventory/v1`).
//!
//! `collect` writes it, `estimate` and `report` read it, so a plan can be made
//! and re-made away from the cluster and attached to a change ticket. Every
//! size is an exact integer number of bytes. A part that was not measured is
//! absent (`None`), never zero: the model refuses to give a verdict on it.

mod load;
mod schema;
mod validate;

pub use load::{InventoryFormat, load, load_str, save, to_string};
pub use schema::*;
pub use validate::{Problem, Validated, validate};
