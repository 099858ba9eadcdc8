//! Keeps the tools/list reply small: every byte of it is context an agent pays for on every turn. Input schemas
//! keep their descriptions (they teach the agent the arguments); output schemas keep only their shape.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::JsonObject;
use serde_json::Value;

/// Keys that carry no information an agent acts on: the dialect, Rust integer widths, and descriptions of output
/// fields.
const NOISE_IN_INPUT: &[&str] = &["$schema", "format"];
const NOISE_IN_OUTPUT: &[&str] = &["$schema", "format", "description", "minimum", "maximum"];

pub fn compact<S: Send + Sync + 'static>(router: ToolRouter<S>) -> ToolRouter<S> {
    let mut compacted = ToolRouter::new();
    for mut route in router {
        let input = std::sync::Arc::make_mut(&mut route.attr.input_schema);
        strip(input, NOISE_IN_INPUT);
        drop_type_descriptions(input);
        if let Some(output) = route.attr.output_schema.as_mut() {
            strip(std::sync::Arc::make_mut(output), NOISE_IN_OUTPUT);
        }
        compacted.add_route(route);
    }
    compacted
}

/// A shared type's own doc ("A cloud rift can plan for") repeats what the property using it already says.
fn drop_type_descriptions(schema: &mut JsonObject) {
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for def in defs.values_mut() {
            if let Value::Object(def) = def {
                def.remove("description");
            }
        }
    }
}

fn strip(schema: &mut JsonObject, keys: &[&str]) {
    for (key, value) in schema.iter_mut() {
        // Under "properties" and "$defs" the keys are names, not schema keywords: a property called
        // "description" must survive.
        let names_not_keywords = key == "properties" || key == "$defs";
        strip_value(value, keys, names_not_keywords);
    }
    schema.retain(|key, _| !keys.contains(&key.as_str()));
}

fn strip_value(value: &mut Value, keys: &[&str], names_not_keywords: bool) {
    match value {
        Value::Object(map) if names_not_keywords => {
            for child in map.values_mut() {
                strip_value(child, keys, false);
            }
        }
        Value::Object(map) => strip(map, keys),
        Value::Array(items) => items.iter_mut().for_each(|v| strip_value(v, keys, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_keywords_but_keeps_properties_named_like_them() {
        let mut schema = json!({
            "type": "object",
            "description": "gone",
            "properties": {
                "description": {"type": "string", "description": "gone too"},
                "count": {"type": "integer", "format": "uint32", "minimum": 0}
            },
            "$defs": {"format": {"type": "string", "format": "uri"}}
        });
        let Value::Object(map) = &mut schema else {
            unreachable!()
        };
        strip(map, NOISE_IN_OUTPUT);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "count": {"type": "integer"}
                },
                "$defs": {"format": {"type": "string"}}
            })
        );
    }
}
