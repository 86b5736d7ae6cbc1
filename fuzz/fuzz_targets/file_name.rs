//! Migration file names (every format's parser): two names per input,
//! separated by the first newline, compared both ways.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (a, b) = text.split_once('\n').unwrap_or((text, text));
        pgfleet::migrate::formats::fuzz_file_names(a, b);
    }
});
