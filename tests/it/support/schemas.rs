//! The strict JSON schemas of `--json` documents (`tests/fixtures/json/`):
//! `document("status", &out.stdout)` parses a command's output and fails the
//! test, naming every violation, when it does not match its schema.

use jsonschema::{Retrieve, Uri};
use serde_json::Value;

use super::fixture;

/// Where the schemas' `$id`s point: a reserved domain, never fetched.
const BASE: &str = "https://pgfleet.invalid/json/";

/// Resolves `$ref`s between the schema files from the fixture folder.
struct FixtureFolder;

impl Retrieve for FixtureFolder {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix(BASE)
            .ok_or_else(|| format!("`{uri}` is not one of pgfleet's schemas"))?;
        Ok(load(name))
    }
}

fn load(file: &str) -> Value {
    let path = fixture("json").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The violations of `doc` against `tests/fixtures/json/<name>.schema.json`.
pub fn violations(name: &str, doc: &Value) -> Vec<String> {
    let schema = load(&format!("{name}.schema.json"));
    let validator = jsonschema::options()
        .with_retriever(FixtureFolder)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}.schema.json is not a valid schema: {e}"));
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Parses `stdout` as one JSON document and checks it against schema `name`.
#[track_caller]
pub fn document(name: &str, stdout: &str) -> Value {
    let doc: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{stdout}"));
    let problems = violations(name, &doc);
    assert!(
        problems.is_empty(),
        "the output does not match {name}.schema.json:\n  {}\n--- output\n{stdout}",
        problems.join("\n  ")
    );
    doc
}
