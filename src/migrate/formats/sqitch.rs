//! Sqitch projects: `sqitch.plan` with `deploy/`, `revert/` and `verify/` scripts.

use std::path::Path;

use super::{Folder, FormatError, PeerTable};

pub(super) fn read(dir: &Path, history_table: Option<&PeerTable>) -> Result<Folder, FormatError> {
    let _ = history_table;
    Err(FormatError::Unsupported {
        dir: dir.to_owned(),
        format: "sqitch",
        evidence: dir.join("sqitch.plan"),
    })
}
