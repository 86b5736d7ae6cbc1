//! `peer_history = "sync" | "read" | "off"`: what pgfleet does with a peer tool's own
//! history table (`_prisma_migrations`, dbmate's `schema_migrations`, ...), set on a
//! database or on one of its migration folders (the folder's setting wins).

use std::fmt;

/// What pgfleet does with a peer tool's history table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PeerHistory {
    /// Read it (adopt what the tool applied, on every run) and write to it what pgfleet
    /// applies, rolls back, baselines or repairs, so the tool itself agrees. The default
    /// for every folder in a peer tool's format, and wherever the tool's table exists.
    #[default]
    Sync,
    /// Read it, never write it.
    Read,
    /// Ignore it.
    Off,
}

impl PeerHistory {
    pub const NAMES: [&'static str; 3] = ["sync", "read", "off"];

    pub fn name(self) -> &'static str {
        match self {
            PeerHistory::Sync => "sync",
            PeerHistory::Read => "read",
            PeerHistory::Off => "off",
        }
    }

    pub fn parse(text: &str) -> Option<PeerHistory> {
        match text {
            "sync" => Some(PeerHistory::Sync),
            "read" => Some(PeerHistory::Read),
            "off" => Some(PeerHistory::Off),
            _ => None,
        }
    }

    /// Whether the peer table is read at all.
    pub fn reads(self) -> bool {
        self != PeerHistory::Off
    }

    /// Whether pgfleet writes the peer table.
    pub fn writes(self) -> bool {
        self == PeerHistory::Sync
    }
}

impl fmt::Display for PeerHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in PeerHistory::NAMES {
            assert_eq!(PeerHistory::parse(name).map(PeerHistory::name), Some(name));
        }
        assert_eq!(PeerHistory::parse("Sync"), None);
        assert_eq!(PeerHistory::default(), PeerHistory::Sync);
    }
}
