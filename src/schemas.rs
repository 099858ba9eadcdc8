//! The committed snapshot of every tool's input and output schema and annotations, so any change to the MCP
//! surface shows up as a diff under `schemas/`.

use std::collections::BTreeMap;
use std::path::Path;

use rmcp::model::Tool;
use serde_json::{Value, json};

/// File name → content (pretty JSON with a trailing newline).
pub type SchemaFiles = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("could not encode the schema of {tool}: {source}")]
    Encode {
        tool: String,
        source: serde_json::Error,
    },
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

pub fn files(tools: &[Tool]) -> Result<SchemaFiles, SchemaError> {
    let mut files = SchemaFiles::new();
    let mut index = Vec::new();
    for tool in tools {
        let name = tool.name.to_string();
        let encode = |value: &Value| {
            serde_json::to_string_pretty(value)
                .map(|s| s + "\n")
                .map_err(|source| SchemaError::Encode {
                    tool: name.clone(),
                    source,
                })
        };
        files.insert(
            format!("{name}.input.json"),
            encode(&Value::Object((*tool.input_schema).clone()))?,
        );
        if let Some(output) = &tool.output_schema {
            files.insert(
                format!("{name}.output.json"),
                encode(&Value::Object((**output).clone()))?,
            );
        }
        index.push(json!({
            "name": name,
            "group": crate::server::group_of(&name).map(|g| g.as_str()),
            "title": tool.annotations.as_ref().and_then(|a| a.title.clone()),
            "description": tool.description,
            "annotations": tool.annotations,
        }));
    }
    let index = serde_json::to_string_pretty(&json!({ "tools": index }))
        .map(|s| s + "\n")
        .map_err(|source| SchemaError::Encode {
            tool: "tools".to_string(),
            source,
        })?;
    files.insert("tools.json".to_string(), index);
    Ok(files)
}

pub fn write(dir: &Path, files: &SchemaFiles) -> Result<(), SchemaError> {
    let write_err = |path: &Path, source| SchemaError::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    // Files of tools that no longer exist must go too, or the snapshot would lie.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") && !files.contains_key(&name) {
                std::fs::remove_file(entry.path()).map_err(|e| write_err(&entry.path(), e))?;
            }
        }
    }
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| write_err(&path, e))?;
    }
    Ok(())
}

/// Names of the files that are missing, different or extra in `dir`.
pub fn stale_files(dir: &Path, files: &SchemaFiles) -> Vec<String> {
    let mut stale: Vec<String> = files
        .iter()
        .filter(|(name, content)| {
            std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(content.as_str())
        })
        .map(|(name, _)| name.clone())
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") && !files.contains_key(&name) {
                stale.push(name);
            }
        }
    }
    stale.sort();
    stale
}
