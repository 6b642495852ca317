//! The JSON Schema shipped with the scenarios (`scenarios/shmsim.schema.json`)
//! is the one the code generates, and every bundled scenario validates
//! against it with an independent validator, while malformed ones do not.

mod common;

use serde_json::Value;

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/shmsim.schema.json");

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&sim::scenario::json_schema::json_schema())
        .expect("the schema is a valid JSON Schema")
}

fn as_json(toml_text: &str) -> Value {
    let v: toml::Value = toml::from_str(toml_text).expect("valid TOML");
    serde_json::to_value(v).expect("TOML converts to JSON")
}

#[test]
fn the_shipped_schema_is_the_generated_one() {
    let generated = sim::scenario::json_schema::json_schema_text();
    let shipped = std::fs::read_to_string(SHIPPED).unwrap_or_default();
    if std::env::var_os("SHMSIM_BLESS").is_some() {
        std::fs::write(SHIPPED, &generated).expect("writable");
        return;
    }
    assert!(
        shipped == generated,
        "scenarios/shmsim.schema.json is out of date: run `cargo run -- schema > scenarios/shmsim.schema.json` \
         (or this test with SHMSIM_BLESS=1)"
    );
}

#[test]
fn every_bundled_scenario_validates() {
    let v = validator();
    let mut n = 0;
    for (path, text) in common::bundled() {
        let doc = as_json(&text);
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {}",
            path.display(),
            errors.join("; ")
        );
        n += 1;
    }
    assert!(n >= 12, "only {n} scenarios");
}

#[test]
fn misspelled_keys_and_bad_values_do_not_validate() {
    let v = validator();
    for bad in [
        "titel = \"x\"",
        "title = \"x\"\n[machine]\nram = \"lots\"",
        "title = \"x\"\n[machine]\nindex = \"btree\"",
        "title = \"x\"\n[[step]]\nproc = \"a\"\ndo = \"f()\"\nexpct = { ret = 0 }",
        "title = \"x\"\n[[step]]\ndo = \"f()\"\nexpect = { errno = \"ENOTANERRNO\" }",
        "title = \"x\"\n[[step]]\ndo = \"f()\"\nexpect = { pte.p = \"PQ\" }",
        "title = \"x\"\n[[step]]\ndo = \"f()\"\nexpect = { meminfo.Shmemm = \"+4 kB\" }",
        "title = \"x\"\n[[step]]\ndo = \"f()\"\nquiz = { ask = \"?\", choices = [\"a\", \"b\"] }",
        "[[step]]\ndo = \"f()\"",
    ] {
        assert!(!v.is_valid(&as_json(bad)), "should not validate:\n{bad}");
    }
    let good = "title = \"x\"\nprocs = [\"a\"]\n[machine]\nram = \"1 MiB\"\nswap = \"0\"\n[[step]]\nproc = \"a\"\ndo = \"f()\"\nexpect = { ret = 3, pte.p = \"P-s\", smaps.p.Rss = \"4 kB\", shm.id.perms = \"1666\", meminfo.Shmem = \"+4 kB\", slot.\"/dev/shm/x\".0 = \"0x6\" }";
    assert!(
        v.is_valid(&as_json(good)),
        "{:?}",
        v.iter_errors(&as_json(good))
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
}

#[test]
fn c_comparisons_in_expect_validate() {
    let v = validator();
    let good = "title = \"x\"\nprocs = [\"a\"]\n[[step]]\nproc = \"a\"\ndo = \"f()\"\nexpect = { ret = \">= 0\", smaps.p.Rss = \"> 0 kB\", meminfo.Shmem = \">= +8 kB\", df.\"/dev/shm\" = \"<= 4 kB\", shm.id.nattch = \"== 1\" }";
    assert!(
        v.is_valid(&as_json(good)),
        "{:?}",
        v.iter_errors(&as_json(good))
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let bad = "title = \"x\"\n[[step]]\ndo = \"f()\"\nexpect = { meminfo.Shmem = \"=> +8 kB\" }";
    assert!(!v.is_valid(&as_json(bad)), "should not validate:\n{bad}");
}
