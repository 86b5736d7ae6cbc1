//! Working beside the peer tools: what pgfleet needs to keep a peer tool's own
//! history table in step with `pgfleet.history`.
//!
//! - [`checksum`]: the checksum each tool stores for a migration, computed as the tool
//!   computes it

pub mod checksum;
