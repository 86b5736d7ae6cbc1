//! The manifest parser and checker on arbitrary text, errors rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pgfleet::manifest::Manifest::fuzz_parse(text);
    }
});
