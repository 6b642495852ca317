//! The JSON Schema of the scenario format, generated from the very tables
//! the loader checks against (the allowed keys, the call table, the
//! observables, the errno and signal names), so that the two cannot drift.
//!
//! TOML editors (Taplo, Even Better TOML) read it to complete and check keys:
//! the repository's `.taplo.toml` points `scenarios/*.toml` at
//! `scenarios/shmsim.schema.json`, which `shmsim schema` writes and a test
//! keeps current. It checks the structure; the statement language inside
//! `do` and the meaning of names are checked by `shmsim check`.

use super::calls::CALLS;
use super::consts::{ERRNO_NAMES, SIGNAL_NAMES};
use super::expect::{MeminfoField, ShmField, SmapsField, StatusField, KINDS};
use super::schema::{MACHINE_KEYS, QUIZ_KEYS, STEP_KEYS, TOP_KEYS};
use serde_json::{json, Map, Value};

const SIZE: &str = r"^\s*(0|[0-9]+(\.[0-9]+)?\s*([kKmMgGtT]i?[bB]?|[bB])?)\s*$";

fn object(props: Map<String, Value>, keys: &[&str], required: &[&str]) -> Value {
    // The tables and the properties must name the same keys.
    for k in keys {
        assert!(props.contains_key(*k), "the schema describes key `{k}`");
    }
    assert_eq!(
        props.len(),
        keys.len(),
        "the schema describes only the allowed keys"
    );
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

fn per_name(value: Value, what: &str) -> Value {
    json!({ "type": "object", "description": what, "additionalProperties": value })
}

fn fields(names: &[&str], value: Value) -> Value {
    let props: Map<String, Value> = names
        .iter()
        .map(|n| (n.to_string(), value.clone()))
        .collect();
    json!({ "type": "object", "properties": props, "additionalProperties": false })
}

fn expect_schema() -> Value {
    // A size, or a C comparison with one (`"> 0 kB"`).
    let size =
        json!({ "type": "string", "pattern": r"^(?:(?:[<>]=?|[=!]=) ?)?[+-]?[0-9]+ kB$|^none$" });
    let size_or_int = json!({ "anyOf": [ { "type": "integer" }, size ] });
    // Page by page, or with runs folded (`"PP-, P x 4096"`).
    let pages = |chars: &str| {
        let piece = format!("(?:[{chars}]+|[{chars}] x [1-9][0-9]*)");
        json!({ "type": "string", "pattern": format!("^(?:{piece}(?:, {piece})*)?$|^none$") })
    };
    let mut p = Map::new();
    for k in KINDS {
        let v = match *k {
            "ret" => json!({ "anyOf": [ { "type": "integer" }, { "type": "string" } ],
                              "description": "the call's return value: an integer, a constant C expression (\"MAP_FAILED\", \"(void *) -1\"), or a C comparison (\">= 0\", \"!= MAP_FAILED\")" }),
            "errno" => json!({ "enum": ERRNO_NAMES, "description": "errno after the call" }),
            "signal" => {
                json!({ "enum": SIGNAL_NAMES, "description": "the signal that ended the process" })
            }
            "out" => json!({ "type": "string", "description": "what printf/read/a load printed" }),
            "pte" => per_name(
                pages("Ps-"),
                "per page of mapping NAME: P present, s swap entry, - none",
            ),
            "core" => per_name(pages("01"), "per page of mapping NAME: mincore residency"),
            "data" => per_name(pages("d-"), "per page of file PATH: d data, - hole"),
            "cache" => per_name(
                pages("Px-"),
                "sim only: per page index: P page, x exceptional entry, - empty",
            ),
            "df" => per_name(
                size.clone(),
                "kB used on the file system of PATH by the scenario",
            ),
            "slot" => per_name(
                per_name(json!({ "type": "string" }), "slot N: its raw word"),
                "sim only: file PATH",
            ),
            "smaps" => per_name(
                fields(SmapsField::NAMES, size_or_int.clone()),
                "smaps of mapping NAME",
            ),
            "shm" => per_name(
                json!({ "anyOf": [ { "const": "none" },
                                   fields(ShmField::NAMES, json!({ "anyOf": [ { "type": "integer" }, { "type": "string" } ] })) ] }),
                "the System V segment whose id NAME holds",
            ),
            "meminfo" => fields(
                MeminfoField::NAMES,
                json!({ "type": "string", "pattern": r"^(?:(?:[<>]=?|[=!]=) ?)?[+-]?[0-9]+ kB$" }),
            ),
            "status" => fields(StatusField::NAMES, size.clone()),
            "maps" => per_name(
                json!({ "type": "string", "pattern": "^[r-][w-][x-][sp]$|^none$" }),
                "the permissions /proc/PID/maps prints for mapping NAME: rw-s, r--p, ---p",
            ),
            other => unreachable!("an observable kind without a schema: {other}"),
        };
        p.insert(k.to_string(), v);
    }
    // One page, as a quoted key: "pte.p[3]" = "P".
    let one_page = json!({ "type": "string", "pattern": "^[Ps01dx-]$|^none$",
                           "description": "the character of page N of a per-page observable" });
    json!({ "type": "object", "description": "observables that must hold after the step", "properties": p,
            "patternProperties": { r"^(pte|core|data|cache)\..+\[[0-9]+\]$": one_page },
            "additionalProperties": false })
}

/// The JSON Schema (draft 2020-12) of a scenario file.
pub fn json_schema() -> Value {
    let size = json!({ "type": "string", "pattern": SIZE });
    let machine = object(
        [
            ("ram", json!({ "description": "simulated physical memory, e.g. \"64 MiB\"", "allOf": [size] })),
            ("swap", json!({ "description": "swap area, \"0\" for none", "allOf": [size] })),
            ("dev_shm", json!({ "description": "size= of the /dev/shm tmpfs (default: half of ram)", "allOf": [size] })),
            ("index", json!({ "enum": ["radix", "xarray"], "description": "page-cache encoding of swap entries" })),
            ("uid", json!({ "type": "integer", "minimum": 0, "description": "the user processes run as (default 1000)" })),
            ("kernel", json!({ "type": "string", "pattern": "^[0-9]+\\.[0-9]+$", "description": "the kernel release whose answers the model gives, 4.14 (default) to 6.18" })),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        MACHINE_KEYS,
        &[],
    );
    let quiz = object(
        [
            ("ask", json!({ "type": "string" })),
            ("choices", json!({ "type": "array", "items": { "type": "string" }, "minItems": 2 })),
            ("answer", json!({ "type": "integer", "minimum": 1, "description": "the right choice, counting from 1" })),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        QUIZ_KEYS,
        &["ask", "choices", "answer"],
    );
    let calls: Vec<&str> = CALLS.iter().map(|c| c.name).collect();
    let step = object(
        [
            ("proc", json!({ "type": "string", "description": "the process making the call" })),
            ("do", json!({ "type": "string", "description": format!("one statement: call(args) or name = call(args); calls: {}", calls.join(", ")) })),
            ("say", json!({ "type": "string", "description": "narration" })),
            ("expect", expect_schema()),
            ("quiz", quiz),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        STEP_KEYS,
        &["do"],
    );
    let mut top = object(
        [
            ("title", json!({ "type": "string" })),
            ("about", json!({ "type": "string" })),
            ("procs", json!({ "type": "array", "items": { "type": "string" }, "description": "processes that exist at step 0" })),
            ("machine", machine),
            ("step", json!({ "type": "array", "items": step })),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        TOP_KEYS,
        &["title"],
    );
    let o = top.as_object_mut().expect("an object");
    o.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    o.insert(
        "$id".into(),
        json!("https://shmsim.invalid/shmsim.schema.json"),
    );
    o.insert("title".into(), json!("shmsim scenario"));
    o.insert(
        "description".into(),
        json!("A shmsim scenario: one C-like call per step (SCENARIOS.md)."),
    );
    top
}

/// The schema as the shipped file holds it (pretty JSON and a newline).
pub fn json_schema_text() -> String {
    serde_json::to_string_pretty(&json_schema()).expect("the schema serializes") + "\n"
}
