//! Reaching hosts, shared by `collect` and `watch`: how a command gets to a
//! host ([`transport`]). Below both commands: it knows nothing of catalogs,
//! plans or phases, only hosts and commands.

pub mod transport;
