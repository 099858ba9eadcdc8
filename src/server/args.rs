//! Tool arguments whose deserialization errors name the offending field ("components[1].engine: ...") and say
//! what was wrong in the vocabulary's terms — the value given (a short prefix of a long one, with its length) and
//! what the tool's own schema accepts there (type, range, choices) — rather than serde's "expected u32".

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::model::quote;

#[derive(Debug, Clone)]
pub struct Args<T>(pub T);

impl<'de, T: DeserializeOwned + JsonSchema> Deserialize<'de> for Args<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match serde_path_to_error::deserialize(&value) {
            Ok(args) => Ok(Args(args)),
            Err(e) => {
                let segments: Vec<Segment> = e.path().iter().cloned().collect();
                let path = path_text(&segments);
                let message = explain::<T>(&segments, &value, &e.into_inner().to_string());
                Err(D::Error::custom(if path.is_empty() {
                    message
                } else {
                    format!("{path}: {message}")
                }))
            }
        }
    }
}

impl<T: JsonSchema> JsonSchema for Args<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// The path as serde_path_to_error spells it ("components[1].engine"), with a long key (an unknown field
/// can be any size) quoted by its prefix.
fn path_text(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                if key.len() <= 40 {
                    out.push_str(key);
                } else {
                    out.push_str(&quote(key));
                }
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// serde's message for the value at `segments`, restated with what the schema of `T` accepts there.
fn explain<T: JsonSchema>(segments: &[Segment], input: &Value, serde_message: &str) -> String {
    let wrong_value = serde_message.starts_with("invalid type")
        || serde_message.starts_with("invalid value")
        || serde_message.starts_with("unknown variant");
    let given = value_at(input, segments);
    let root = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    let root = root.as_value();
    match (wrong_value, given, schema_at(root, root, segments)) {
        (true, Some(given), Some(schema)) => {
            let hint = match (given, accepted_type(root, schema)) {
                (Value::String(text), Some("integer" | "number"))
                    if text.trim().parse::<f64>().is_ok() =>
                {
                    " (write the number without quotes)"
                }
                _ => "",
            };
            format!(
                "{} is not valid here: {}{hint}",
                describe(given),
                accepts(root, schema)
            )
        }
        _ => shorten_quoted(serde_message),
    }
}

fn value_at<'a>(input: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(input, |value, segment| match segment {
            Segment::Seq { index } => value.get(*index),
            Segment::Map { key } => value.get(key.as_str()),
            Segment::Enum { .. } | Segment::Unknown => Some(value),
        })
}

/// The schema that applies at `segments`, following properties, items and `$ref`s.
fn schema_at<'a>(root: &'a Value, schema: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    let schema = resolve(root, schema);
    let Some((first, rest)) = segments.split_first() else {
        return Some(schema);
    };
    let child = match first {
        Segment::Seq { .. } => schema.get("items")?,
        Segment::Map { key } => schema.get("properties")?.get(key.as_str())?,
        Segment::Enum { .. } | Segment::Unknown => schema,
    };
    schema_at(root, child, rest)
}

/// A `$ref` or a nullable `anyOf` replaced by the schema it stands for.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        && let Some(def) = root.get("$defs").and_then(|d| d.get(name))
    {
        return resolve(root, def);
    }
    if let Some(Value::Array(variants)) = schema.get("anyOf")
        && let Some(inner) = variants
            .iter()
            .find(|v| v.get("type").and_then(Value::as_str) != Some("null"))
    {
        return resolve(root, inner);
    }
    schema
}

fn accepted_type<'a>(root: &'a Value, schema: &'a Value) -> Option<&'a str> {
    let schema = resolve(root, schema);
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// What the schema accepts, in words: "give a whole number from 1 to 65535", "give one of: a, b".
fn accepts(root: &Value, schema: &Value) -> String {
    let schema = resolve(root, schema);
    if let Some(Value::Array(choices)) = schema.get("enum") {
        let names: Vec<String> = choices
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        return format!("give one of: {}", names.join(", "));
    }
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    match accepted_type(root, schema) {
        Some(kind @ ("integer" | "number")) => {
            let what = if kind == "integer" {
                "a whole number"
            } else {
                "a number"
            };
            match (bound("minimum"), bound("maximum")) {
                (Some(min), Some(max)) => format!("give {what} from {min} to {max}"),
                (Some(min), None) => format!("give {what} of at least {min}"),
                (None, Some(max)) => format!("give {what} of at most {max}"),
                (None, None) => format!("give {what}"),
            }
        }
        Some("string") => "give a string".to_string(),
        Some("boolean") => "give true or false".to_string(),
        Some("array") => match schema.get("items") {
            Some(items) => format!(
                "give a list; each item: {}",
                accepts(root, items).trim_start_matches("give ")
            ),
            None => "give a list".to_string(),
        },
        Some("object") => "give an object".to_string(),
        _ => "see the tool's input schema".to_string(),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("the string {}", quote(s)),
        Value::Array(items) => format!("a list of {} items", items.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

/// serde's own message with every backtick-quoted value cut to a short prefix and its length.
fn shorten_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if i % 2 == 0 {
            out.push_str(&quote(part));
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeploymentRequest;
    use serde_json::json;

    fn error(args: Value) -> String {
        serde_json::from_value::<Args<DeploymentRequest>>(args)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    fn web(extra: Value) -> Value {
        let mut component = json!({"name": "web", "kind": "web_server"});
        if let (Some(c), Value::Object(extra)) = (component.as_object_mut(), extra) {
            c.extend(extra);
        }
        json!({"provider": "aws", "components": [component]})
    }

    #[test]
    fn wrong_values_are_explained_with_what_the_schema_accepts() {
        let message = error(web(json!({"vcpus": -1})));
        assert_eq!(
            message,
            "components[0].vcpus: -1 is not valid here: give a whole number of at least 1"
        );
        let message = error(web(json!({"ports": [70000]})));
        assert_eq!(
            message,
            "components[0].ports[0]: 70000 is not valid here: give a whole number from 1 to 65535"
        );
        let message = error(web(json!({"vcpus": "2"})));
        assert!(
            message.contains("the string \"2\" is not valid here")
                && message.contains("without quotes"),
            "{message}"
        );
        let message = error(web(json!({"kind": "webserver"})));
        assert!(
            message.contains("give one of: web_server, database"),
            "{message}"
        );
        for message in [
            error(web(json!({"vcpus": -1}))),
            error(web(json!({"ports": [70000]}))),
            error(web(json!({"vcpus": "2"}))),
        ] {
            assert!(!message.contains("expected u"), "{message}");
            assert!(!message.contains("invalid type"), "{message}");
        }
    }

    #[test]
    fn long_values_are_quoted_by_a_prefix_and_their_length() {
        let huge = "k".repeat(1_000_000);
        let message = error(web(json!({"kind": huge})));
        assert!(message.len() < 400, "{}", message.len());
        assert!(message.contains("(1000000 characters)"), "{message}");
        let mut unknown = web(json!({}));
        unknown["components"][0][huge.as_str()] = json!(1);
        let message = error(unknown);
        assert!(message.len() < 600, "{}", message.len());
    }
}
