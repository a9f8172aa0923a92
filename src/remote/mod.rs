//! Reaching hosts and reading what they answer, shared by `collect` and
//! `watch`: how a command gets to a host ([`transport`]) and the one reader of
//! `df` lines ([`df`]). Below both commands: it knows nothing of catalogs,
//! plans or phases, only hosts, commands and filesystems.

pub mod df;
pub mod transport;
