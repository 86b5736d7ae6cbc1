//! The psql-compatible script splitter on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pgfleet::migrate::script::fuzz_split(text);
    }
});
