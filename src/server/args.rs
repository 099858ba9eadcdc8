//! Tool arguments whose deserialization errors name the offending field ("components[1].engine: unknown
//! variant ..."), so the agent sees which argument to fix, not just a line and column.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone)]
pub struct Args<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Args<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        serde_path_to_error::deserialize(value)
            .map(Args)
            .map_err(|e| {
                let path = e.path().to_string();
                if path == "." {
                    D::Error::custom(e.into_inner())
                } else {
                    D::Error::custom(format!("{path}: {}", e.into_inner()))
                }
            })
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
