//! whpg-plan: capacity planning for Greenplum / WarehousePG 6 → 7 upgrades by
//! backup and restore.
//!
//! Data flows one way: collect → [`inventory`] → [`model`] → [`report`].
//! `collect` and `watch` reach hosts through [`remote`].

#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod csv_size;
pub mod error;
pub mod input;
pub mod inventory;
pub mod model;
pub mod output;
pub mod remote;
pub mod report;
pub mod shell;
pub mod synth;
pub mod units;
pub mod watch;
