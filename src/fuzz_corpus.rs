//! The fuzz targets' corpora, replayed by unit tests (test builds only).

use std::path::Path;

/// Every UTF-8 file of `fuzz/corpus/{target}` as `(path, text)`, sorted by
/// path: the seeds, and any input a fuzzer once crashed on, kept there as a
/// regression case. Panics when the folder is missing or empty.
pub(crate) fn read(target: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}", dir.display());
    files
        .into_iter()
        .filter_map(|p| {
            let text = String::from_utf8(std::fs::read(&p).unwrap()).ok()?;
            Some((p.display().to_string(), text))
        })
        .collect()
}
