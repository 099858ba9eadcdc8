//! Keeps the tools/list reply small: every byte of it is context an agent pays for on every turn.
//!
//! Input schemas keep everything that teaches the agent its arguments (descriptions, enums, bounds, required
//! fields) and lose only repetition: shared definitions used once are inlined, `anyOf [X, null]` becomes a
//! nullable `X`. Output schemas keep the answer's top-level fields, each with its type, and lose what only a
//! validator of our own output would use: descriptions, required lists, enum values, bounds, and the structure
//! inside each field (the structured result itself is self-describing JSON, and repeating every nested field of
//! every answer would double the listing).

use std::collections::HashMap;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::JsonObject;
use serde_json::{Map, Value};

const NOISE_IN_INPUT: &[&str] = &["$schema", "format"];
const NOISE_IN_OUTPUT: &[&str] = &[
    "$schema",
    "format",
    "description",
    "minimum",
    "maximum",
    "required",
    "default",
];
/// Definitions this small are inlined wherever they are used: a `$ref` costs nearly as much.
const SMALL_DEFINITION_BYTES: usize = 120;

pub fn compact<S: Send + Sync + 'static>(router: ToolRouter<S>) -> ToolRouter<S> {
    let mut routes: Vec<_> = router.into_iter().collect();
    for route in &mut routes {
        compact_input(std::sync::Arc::make_mut(&mut route.attr.input_schema));
        if let Some(output) = route.attr.output_schema.as_mut() {
            compact_output(std::sync::Arc::make_mut(output));
        }
    }
    let mut compacted = ToolRouter::new();
    for mut route in routes {
        // MCP 2025-06-18 shows a tool's top-level title; older clients read annotations.title. One source.
        if route.attr.title.is_none() {
            route.attr.title = route
                .attr
                .annotations
                .as_ref()
                .and_then(|a| a.title.clone());
        }
        compacted.add_route(route);
    }
    compacted
}

fn compact_input(schema: &mut JsonObject) {
    visit(schema, &mut |s| strip_keywords(s, NOISE_IN_INPUT));
    // `"default": null` on an optional string only says it may be left out, and contradicts its type.
    visit(schema, &mut |s| {
        if s.get("default").is_some_and(Value::is_null) {
            s.remove("default");
        }
    });
    // A shared type's own doc ("A cloud rift can plan for") repeats what the property using it says.
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for def in defs.values_mut() {
            if let Value::Object(def) = def {
                def.remove("description");
            }
        }
    }
    inline_definitions(schema, false);
    visit(schema, &mut fold_nullable);
    visit(schema, &mut optional_means_absent);
}

fn compact_output(schema: &mut JsonObject) {
    visit(schema, &mut |s| strip_keywords(s, NOISE_IN_OUTPUT));
    visit(schema, &mut erase_enum);
    inline_definitions(schema, true);
    visit(schema, &mut merge_unions);
    visit(schema, &mut fold_nullable);
    top_level_only(schema);
}

/// Each top-level field keeps only its type.
fn top_level_only(schema: &mut JsonObject) {
    schema.remove("$defs");
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for property in properties.values_mut() {
            let kind = property.get("type").cloned();
            *property = match kind {
                Some(kind) => serde_json::json!({ "type": kind }),
                None => serde_json::json!({}),
            };
        }
    }
}

/// Applies `f` to every schema in the tree, children first.
fn visit(schema: &mut JsonObject, f: &mut dyn FnMut(&mut JsonObject)) {
    for (key, value) in schema.iter_mut() {
        match (key.as_str(), value) {
            ("properties" | "$defs", Value::Object(named)) => {
                for child in named.values_mut() {
                    if let Value::Object(child) = child {
                        visit(child, f);
                    }
                }
            }
            ("items" | "additionalProperties" | "not", Value::Object(child)) => visit(child, f),
            ("oneOf" | "anyOf" | "allOf" | "prefixItems", Value::Array(children)) => {
                for child in children {
                    if let Value::Object(child) = child {
                        visit(child, f);
                    }
                }
            }
            _ => {}
        }
    }
    f(schema);
}

fn strip_keywords(schema: &mut JsonObject, keys: &[&str]) {
    schema.retain(|key, _| !keys.contains(&key.as_str()));
}

/// An optional argument is one the caller leaves out; spelling "or null" on each of them only costs bytes.
/// (An explicit null is still accepted: it deserializes as absent.)
fn optional_means_absent(schema: &mut JsonObject) {
    let required: Vec<String> = match schema.get("required") {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => vec![],
    };
    let Some(Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let Value::Object(property) = property else {
            continue;
        };
        if required.contains(name) {
            continue;
        }
        if let Some(Value::Array(variants)) = property.get("anyOf")
            && variants.len() == 2
            && let Some(Value::Object(other)) = variants
                .iter()
                .find(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                .cloned()
            && variants
                .iter()
                .any(|v| v.get("type").and_then(Value::as_str) == Some("null"))
        {
            property.remove("anyOf");
            for (key, value) in other {
                property.entry(key).or_insert(value);
            }
        }
        if let Some(Value::Array(types)) = property.get_mut("type") {
            types.retain(|t| t != "null");
            if let [only] = types.as_slice() {
                let only = only.clone();
                property.insert("type".into(), only);
            }
        }
        if let Some(Value::Array(values)) = property.get_mut("enum") {
            values.retain(|v| !v.is_null());
        }
    }
}

/// Replaces `enum`/`const` by the type of their values.
fn erase_enum(schema: &mut JsonObject) {
    let values: Vec<Value> = match (schema.remove("enum"), schema.remove("const")) {
        (Some(Value::Array(values)), _) => values,
        (_, Some(value)) => vec![value],
        _ => return,
    };
    if !schema.contains_key("type") {
        let mut types: Vec<&str> = values.iter().map(json_type).collect();
        types.sort_unstable();
        types.dedup();
        let ty = match types.as_slice() {
            [one] => Value::from(*one),
            many => Value::from(many.to_vec()),
        };
        schema.insert("type".into(), ty);
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `oneOf`/`anyOf` whose variants are all objects become one object with every variant's properties; variants
/// that are all the same scalar type become that type.
fn merge_unions(schema: &mut JsonObject) {
    for keyword in ["oneOf", "anyOf"] {
        let Some(Value::Array(variants)) = schema.get(keyword).cloned() else {
            continue;
        };
        let types: Vec<Option<&str>> = variants
            .iter()
            .map(|v| v.get("type").and_then(Value::as_str))
            .collect();
        let Some(first) = types.first().copied().flatten() else {
            continue;
        };
        if !types.iter().all(|t| *t == Some(first)) {
            continue;
        }
        let mut merged = Map::new();
        if first == "object" {
            let mut properties = Map::new();
            for variant in &variants {
                if let Some(Value::Object(props)) = variant.get("properties") {
                    for (name, prop) in props {
                        properties
                            .entry(name.clone())
                            .or_insert_with(|| prop.clone());
                    }
                }
            }
            merged.insert("properties".into(), Value::Object(properties));
        }
        schema.remove(keyword);
        schema.insert("type".into(), Value::from(first));
        schema.extend(merged);
    }
}

/// `anyOf: [X, {"type": "null"}]` → X with `null` added to its type (and enum).
fn fold_nullable(schema: &mut JsonObject) {
    let Some(Value::Array(variants)) = schema.get("anyOf") else {
        return;
    };
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    if variants.len() != 2 || variants.iter().filter(|v| is_null(v)).count() != 1 {
        return;
    }
    let Some(Value::Object(inner)) = variants.iter().find(|v| !is_null(v)).cloned() else {
        return;
    };
    let Some(Value::String(ty)) = inner.get("type").cloned() else {
        return;
    };
    let mut folded = inner;
    folded.insert("type".into(), Value::from(vec![ty, "null".to_string()]));
    if let Some(Value::Array(values)) = folded.get_mut("enum") {
        values.push(Value::Null);
    }
    schema.remove("anyOf");
    for (key, value) in folded {
        schema.entry(key).or_insert(value);
    }
}

/// Replaces `$ref`s by the definitions they point to: all of them (`everything`), or those used once or small.
/// A definition that refers to itself, directly or not, stays a definition.
fn inline_definitions(schema: &mut JsonObject, everything: bool) {
    let Some(Value::Object(defs)) = schema.remove("$defs") else {
        return;
    };
    let mut uses: HashMap<String, usize> = HashMap::new();
    count_refs(&Value::Object(schema.clone()), &mut uses);
    for def in defs.values() {
        count_refs(def, &mut uses);
    }
    let inlinable = |name: &str| {
        everything
            || uses.get(name).copied().unwrap_or(0) <= 1
            || defs
                .get(name)
                .is_some_and(|d| d.to_string().len() <= SMALL_DEFINITION_BYTES)
    };
    let mut kept = Map::new();
    let mut stack = Vec::new();
    let mut root = Value::Object(std::mem::take(schema));
    replace_refs(&mut root, &defs, &inlinable, &mut stack, &mut kept);
    let mut pending: Vec<String> = kept.keys().cloned().collect();
    while let Some(name) = pending.pop() {
        let Some(mut body) = defs.get(&name).cloned() else {
            continue;
        };
        let before: Vec<String> = kept.keys().cloned().collect();
        stack.push(name.clone());
        replace_refs(&mut body, &defs, &inlinable, &mut stack, &mut kept);
        stack.pop();
        pending.extend(kept.keys().filter(|k| !before.contains(k)).cloned());
        kept.insert(name, body);
    }
    if let Value::Object(root) = root {
        *schema = root;
    }
    if !kept.is_empty() {
        schema.insert("$defs".into(), Value::Object(kept));
    }
}

fn ref_name(value: &Value) -> Option<&str> {
    value.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

fn count_refs(value: &Value, uses: &mut HashMap<String, usize>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = ref_name(value) {
                *uses.entry(name.to_string()).or_default() += 1;
            }
            map.values().for_each(|v| count_refs(v, uses));
        }
        Value::Array(items) => items.iter().for_each(|v| count_refs(v, uses)),
        _ => {}
    }
}

fn replace_refs(
    value: &mut Value,
    defs: &Map<String, Value>,
    inlinable: &dyn Fn(&str) -> bool,
    stack: &mut Vec<String>,
    kept: &mut Map<String, Value>,
) {
    if let Some(name) = ref_name(value).map(str::to_string) {
        let recursive = stack.contains(&name);
        match defs.get(&name) {
            Some(Value::Object(def)) if inlinable(&name) && !recursive => {
                let mut body = def.clone();
                if let Value::Object(map) = value {
                    map.remove("$ref");
                    // The use site's own keywords (its description) win over the definition's.
                    for (key, v) in std::mem::take(map) {
                        body.insert(key, v);
                    }
                }
                *value = Value::Object(body);
                stack.push(name);
                replace_refs(value, defs, inlinable, stack, kept);
                stack.pop();
                return;
            }
            _ => {
                if !kept.contains_key(&name) {
                    kept.insert(name, Value::Null);
                }
                return;
            }
        }
    }
    match value {
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| replace_refs(v, defs, inlinable, stack, kept)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_refs(v, defs, inlinable, stack, kept)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn input_keeps_what_teaches_and_inlines_small_definitions() {
        let mut schema = object(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "a property called description"},
                "count": {"type": ["integer", "null"], "format": "uint32", "minimum": 0},
                "provider": {"anyOf": [{"$ref": "#/$defs/Provider"}, {"type": "null"}], "description": "which"}
            },
            "required": ["description"],
            "$defs": {"Provider": {"description": "gone", "type": "string", "enum": ["digitalocean", "aws"]}}
        }));
        compact_input(&mut schema);
        assert_eq!(
            Value::Object(schema),
            json!({
                "type": "object",
                "properties": {
                    "description": {"type": "string", "description": "a property called description"},
                    "count": {"type": "integer", "minimum": 0},
                    "provider": {"type": "string", "enum": ["digitalocean", "aws"], "description": "which"}
                },
                "required": ["description"]
            })
        );
    }

    #[test]
    fn output_keeps_the_top_level_fields_with_their_types() {
        let mut schema = object(json!({
            "type": "object",
            "description": "gone",
            "properties": {
                "kind": {"$ref": "#/$defs/Kind"},
                "spec": {"$ref": "#/$defs/Spec"},
                "size": {"type": ["string", "null"]}
            },
            "required": ["kind", "spec", "size"],
            "$defs": {
                "Kind": {"type": "string", "enum": ["web_server", "database"]},
                "Spec": {"oneOf": [
                    {"type": "object", "properties": {"type": {"type": "string", "const": "a"}, "x": {"type": "integer", "format": "uint32"}}, "required": ["type", "x"]},
                    {"type": "object", "properties": {"type": {"type": "string", "const": "b"}, "y": {"type": "boolean"}}, "required": ["type", "y"]}
                ]}
            }
        }));
        compact_output(&mut schema);
        assert_eq!(
            Value::Object(schema),
            json!({
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "spec": {"type": "object"},
                    "size": {"type": ["string", "null"]}
                }
            })
        );
    }

    #[test]
    fn recursive_definitions_end_at_the_top_level_field() {
        let mut schema = object(json!({
            "type": "object",
            "properties": {"root": {"$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}
        }));
        compact_output(&mut schema);
        assert_eq!(
            Value::Object(schema),
            json!({
                "type": "object",
                "properties": {"root": {"type": "object"}}
            })
        );
    }
}
