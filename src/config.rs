//! Settings and credential references. A TOML file (`--config`, `RIFT_CONFIG`, or `<config dir>/rift/config.toml`
//! when present) is overridden by `RIFT_*` environment variables, which are overridden by flags. The policy
//! defaults every project starts from live here.
//!
//! Secrets never enter rift's settings, store or answers: projects hold references (`env:NAME`, an AWS profile
//! name), and anything that looks like a raw token or key is refused with a message saying how to reference it.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::policy::Policy;

/// Settings of one server process.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The SQLite store.
    pub state_path: PathBuf,
    /// Whether mutating tools exist at all.
    pub allow_writes: bool,
    /// How long an approval token stays valid.
    pub approval_ttl_s: u64,
    /// The operator's policy: every project's policy applies under it.
    pub policy: Policy,
    /// The monthly budget (USD) a new project gets when it names none.
    pub default_monthly_budget_usd: Option<f64>,
    /// Cloud calls one apply keeps in flight at once (within [`APPLY_CONCURRENCY_RANGE`]).
    pub apply_concurrency: usize,
    /// The tool groups served (sorted, no repeats); mutating tools need `allow_writes` as well.
    pub tool_groups: Vec<ToolGroup>,
    /// How long an approved call waits for its change before answering with the change's id (the change runs on).
    pub change_wait_s: u64,
    /// Live HTTP sessions at once (within [`HTTP_SESSIONS_RANGE`]).
    pub http_max_sessions: usize,
    /// Seconds between the watcher's checks of subscribed projects' health; `None` (the default) runs no watcher.
    pub watch_s: Option<u64>,
}

/// A group of tools the operator serves or leaves out (`--tools`, `RIFT_TOOLS`, `tools = [...]`), as
/// github-mcp-server's toolsets: fewer groups, a smaller tools/list for the agent to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolGroup {
    /// describe_mapping, plan_deployment, estimate_cost, compare_providers, generate_terraform, refresh_prices.
    Plan,
    /// Projects and their recorded resources.
    Projects,
    /// Creating, resizing and deleting resources, and the changes that do it (needs writes on).
    Provision,
    /// Metrics, alerts, incidents and remediation.
    Operate,
    /// Discovery, adoption and moves between clouds.
    Migrate,
    /// Diagrams and the project view.
    Views,
}

impl ToolGroup {
    pub const ALL: [ToolGroup; 6] = [
        ToolGroup::Plan,
        ToolGroup::Projects,
        ToolGroup::Provision,
        ToolGroup::Operate,
        ToolGroup::Migrate,
        ToolGroup::Views,
    ];

    /// What a new user needs: plan and price, keep projects, provision (when writes are on).
    pub const DEFAULT: [ToolGroup; 3] =
        [ToolGroup::Plan, ToolGroup::Projects, ToolGroup::Provision];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolGroup::Plan => "plan",
            ToolGroup::Projects => "projects",
            ToolGroup::Provision => "provision",
            ToolGroup::Operate => "operate",
            ToolGroup::Migrate => "migrate",
            ToolGroup::Views => "views",
        }
    }

    /// A comma-separated list ("plan,projects"; "all" for every group), sorted and without repeats.
    pub fn parse_list(text: &str) -> Result<Vec<ToolGroup>, String> {
        let mut groups = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            if word == "all" {
                groups.extend(ToolGroup::ALL);
                continue;
            }
            match ToolGroup::ALL.into_iter().find(|g| g.as_str() == word) {
                Some(group) => groups.push(group),
                None => {
                    return Err(format!(
                        "\"{}\" is not a tool group; the groups are {} (or all)",
                        redact(word),
                        ToolGroup::ALL.map(ToolGroup::as_str).join(", ")
                    ));
                }
            }
        }
        if groups.is_empty() {
            return Err(format!(
                "name at least one tool group: {} (or all)",
                ToolGroup::ALL.map(ToolGroup::as_str).join(", ")
            ));
        }
        groups.sort();
        groups.dedup();
        Ok(groups)
    }
}

impl std::fmt::Display for ToolGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long an approved call waits for its change by default: long enough for quick changes to answer with their
/// outcome, short enough for hosts that give up on a tool call after a minute.
pub const DEFAULT_CHANGE_WAIT_S: u64 = 10;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            state_path: default_state_path(),
            allow_writes: false,
            approval_ttl_s: DEFAULT_APPROVAL_TTL_S,
            policy: Policy::default(),
            default_monthly_budget_usd: None,
            apply_concurrency: DEFAULT_APPLY_CONCURRENCY,
            tool_groups: ToolGroup::DEFAULT.to_vec(),
            change_wait_s: DEFAULT_CHANGE_WAIT_S,
            http_max_sessions: DEFAULT_HTTP_MAX_SESSIONS,
            watch_s: None,
        }
    }
}

pub const DEFAULT_APPROVAL_TTL_S: u64 = 600;

/// Enough to overlap slow creates, few enough to stay clear of the clouds' rate limits.
pub const DEFAULT_APPLY_CONCURRENCY: usize = 4;

/// Below 1 an apply would start nothing; above 32 it would mostly collect rate-limit errors (DigitalOcean allows
/// 250 requests a minute, and every create polls).
pub const APPLY_CONCURRENCY_RANGE: RangeInclusive<usize> = 1..=32;

/// Plenty for the agents of a team; each idle session costs about 50 KB.
pub const DEFAULT_HTTP_MAX_SESSIONS: usize = 100;

/// At least one client; at most what stays within a few hundred MB however the sessions are used.
pub const HTTP_SESSIONS_RANGE: RangeInclusive<usize> = 1..=10_000;

/// A check at least every second (each asks the clouds), at most once a day.
pub const WATCH_RANGE: RangeInclusive<usize> = 1..=86_400;

/// The config file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    state: Option<PathBuf>,
    allow_writes: Option<bool>,
    approval_ttl_s: Option<u64>,
    monthly_budget_usd: Option<f64>,
    #[serde(default, deserialize_with = "file_apply_concurrency")]
    apply_concurrency: Option<usize>,
    tools: Option<Vec<ToolGroup>>,
    change_wait_s: Option<u64>,
    #[serde(default, deserialize_with = "file_http_max_sessions")]
    http_max_sessions: Option<usize>,
    #[serde(default, deserialize_with = "file_watch_s")]
    watch_s: Option<usize>,
    policy: Option<Policy>,
}

/// What the command line says (flags and the environment variables clap reads for them).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub allow_writes: Option<bool>,
    pub tools: Option<Vec<ToolGroup>>,
    pub http_max_sessions: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("config file {path}: {message}")]
    Secret { path: PathBuf, message: String },
    #[error("{name}: {message}")]
    Flag { name: String, message: String },
    #[error(
        "state: a {scheme}:// URL is not supported: give a file path for SQLite, or postgres://USER@HOST/DATABASE \
         for a PostgreSQL database shared by replicas (--state, RIFT_STATE or state in the config file)"
    )]
    StateUrl { scheme: String },
    #[error("state: {0}")]
    StateDatabase(String),
}

/// Loads settings: file, then `RIFT_*` variables (read through `env`), then flags.
pub fn load(
    overrides: &Overrides,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let file_path = overrides.config.clone().or_else(|| {
        let default = dirs::config_dir()?.join("rift").join("config.toml");
        default.is_file().then_some(default)
    });
    let file = match &file_path {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let mut settings = Settings::default();
    if let Some(state) = file.state {
        settings.state_path = state;
    }
    if let Some(allow) = file.allow_writes {
        settings.allow_writes = allow;
    }
    if let Some(ttl) = file.approval_ttl_s {
        settings.approval_ttl_s = approval_ttl(ttl).map_err(|message| ConfigError::Parse {
            path: file_path.clone().unwrap_or_default(),
            message: format!("approval_ttl_s: {message}"),
        })?;
    }
    if let Some(policy) = file.policy {
        settings.policy = policy;
    }
    settings.default_monthly_budget_usd = file.monthly_budget_usd;
    if let Some(bound) = file.apply_concurrency {
        settings.apply_concurrency = bound;
    }
    if let Some(mut groups) = file.tools {
        if groups.is_empty() {
            return Err(ConfigError::Parse {
                path: file_path.clone().unwrap_or_default(),
                message: "tools: name at least one tool group".to_string(),
            });
        }
        groups.sort();
        groups.dedup();
        settings.tool_groups = groups;
    }
    if let Some(wait) = file.change_wait_s {
        settings.change_wait_s = wait;
    }
    if let Some(max) = file.http_max_sessions {
        settings.http_max_sessions = max;
    }
    if let Some(every) = file.watch_s {
        settings.watch_s = Some(every as u64);
    }
    apply_env(&mut settings, &env)?;
    if let Some(state) = &overrides.state {
        settings.state_path = state.clone();
    }
    if let Some(allow) = overrides.allow_writes {
        settings.allow_writes = allow;
    }
    if let Some(groups) = &overrides.tools {
        settings.tool_groups = groups.clone();
    }
    if let Some(max) = overrides.http_max_sessions {
        settings.http_max_sessions =
            within(max as i64, &HTTP_SESSIONS_RANGE).map_err(|message| ConfigError::Flag {
                name: "--max-sessions".to_string(),
                message,
            })?;
    }
    check_state_path(&settings.state_path)?;
    Ok(settings)
}

/// A `postgres://` state names a PostgreSQL database and must parse; another `scheme://` state would otherwise
/// be taken as a relative file path (`./mysql:/...`). Only the scheme is quoted: the rest of a database URL may
/// hold a password.
fn check_state_path(path: &Path) -> Result<(), ConfigError> {
    let text = path.to_string_lossy();
    if crate::store::is_postgres_url(&text) {
        return crate::store::parse_postgres_url(&text)
            .map(|_| ())
            .map_err(ConfigError::StateDatabase);
    }
    match text.split_once("://") {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            Err(ConfigError::StateUrl {
                scheme: scheme.to_string(),
            })
        }
        _ => Ok(()),
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: toml::Value = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    })?;
    let json = serde_json::to_value(&value).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if let Some(found) = find_raw_secret(&json) {
        return Err(ConfigError::Secret {
            path: path.to_path_buf(),
            message: found.to_string(),
        });
    }
    value
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })
}

fn apply_env(
    settings: &mut Settings,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    fn parse<T: std::str::FromStr>(name: &str, value: &str, what: &str) -> Result<T, ConfigError> {
        value.trim().parse().map_err(|_| ConfigError::Env {
            name: name.to_string(),
            message: format!("\"{}\" is not {what}", redact(value)),
        })
    }
    if let Some(v) = env("RIFT_APPROVAL_TTL_S") {
        let ttl = parse(
            "RIFT_APPROVAL_TTL_S",
            &v,
            "a whole number of seconds, at least 1",
        )?;
        settings.approval_ttl_s = approval_ttl(ttl).map_err(|message| ConfigError::Env {
            name: "RIFT_APPROVAL_TTL_S".to_string(),
            message,
        })?;
    }
    if let Some(v) = env("RIFT_MONTHLY_BUDGET_USD") {
        settings.default_monthly_budget_usd =
            Some(parse("RIFT_MONTHLY_BUDGET_USD", &v, "an amount in USD")?);
    }
    if let Some(v) = env("RIFT_MAX_RESOURCES_PER_PLAN") {
        settings.policy.max_resources_per_plan =
            Some(parse("RIFT_MAX_RESOURCES_PER_PLAN", &v, "a whole number")?);
    }
    if let Some(v) = env("RIFT_MAX_CREATIONS_PER_HOUR") {
        settings.policy.max_creations_per_hour =
            Some(parse("RIFT_MAX_CREATIONS_PER_HOUR", &v, "a whole number")?);
    }
    if let Some(v) = env("RIFT_CHANGE_WAIT_S") {
        settings.change_wait_s = parse("RIFT_CHANGE_WAIT_S", &v, "a number of seconds")?;
    }
    if let Some(v) = env("RIFT_APPLY_CONCURRENCY") {
        let bound = parse(
            "RIFT_APPLY_CONCURRENCY",
            &v,
            &format!(
                "a whole number from {}",
                range_text(&APPLY_CONCURRENCY_RANGE)
            ),
        )?;
        settings.apply_concurrency =
            apply_concurrency(bound).map_err(|message| ConfigError::Env {
                name: "RIFT_APPLY_CONCURRENCY".to_string(),
                message,
            })?;
    }
    if let Some(v) = env("RIFT_HTTP_MAX_SESSIONS") {
        let max = parse(
            "RIFT_HTTP_MAX_SESSIONS",
            &v,
            &format!("a whole number from {}", range_text(&HTTP_SESSIONS_RANGE)),
        )?;
        settings.http_max_sessions =
            within(max, &HTTP_SESSIONS_RANGE).map_err(|message| ConfigError::Env {
                name: "RIFT_HTTP_MAX_SESSIONS".to_string(),
                message,
            })?;
    }
    if let Some(v) = env("RIFT_WATCH_S") {
        let every = parse(
            "RIFT_WATCH_S",
            &v,
            &format!("a number of seconds from {}", range_text(&WATCH_RANGE)),
        )?;
        settings.watch_s = Some(
            within(every, &WATCH_RANGE).map_err(|message| ConfigError::Env {
                name: "RIFT_WATCH_S".to_string(),
                message,
            })? as u64,
        );
    }
    Ok(())
}

/// An approval lifetime, wherever it was written: 0 would issue tokens that are expired when the preview
/// reaches the user.
fn approval_ttl(seconds: u64) -> Result<u64, String> {
    if seconds == 0 {
        return Err(
            "0 s would expire every approval token at once; give at least 1 (the default is 600)"
                .to_string(),
        );
    }
    Ok(seconds)
}

/// An apply concurrency bound, wherever it was written, checked against [`APPLY_CONCURRENCY_RANGE`].
fn apply_concurrency(bound: i64) -> Result<usize, String> {
    within(bound, &APPLY_CONCURRENCY_RANGE)
}

/// `value` if it lies in `range`, else a message naming the range.
fn within(value: i64, range: &RangeInclusive<usize>) -> Result<usize, String> {
    usize::try_from(value)
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            format!(
                "{value} is out of range; use a whole number from {}",
                range_text(range)
            )
        })
}

/// Read as a signed number so a negative value gets the range message rather than serde's "expected usize"; the
/// message names the key because the TOML error reaching the user carries only the message.
fn file_apply_concurrency<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    file_within(deserializer, "apply_concurrency", &APPLY_CONCURRENCY_RANGE)
}

fn file_http_max_sessions<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    file_within(deserializer, "http_max_sessions", &HTTP_SESSIONS_RANGE)
}

fn file_watch_s<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    file_within(deserializer, "watch_s", &WATCH_RANGE)
}

fn file_within<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    key: &str,
    range: &RangeInclusive<usize>,
) -> Result<Option<usize>, D::Error> {
    let value = i64::deserialize(deserializer)?;
    within(value, range)
        .map(Some)
        .map_err(|message| serde::de::Error::custom(format!("{key}: {message}")))
}

fn range_text(range: &RangeInclusive<usize>) -> String {
    format!("{} to {}", range.start(), range.end())
}

/// Parses a boolean flag value as `RIFT_ALLOW_WRITES` accepts it.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("\"{other}\" is not a boolean; use 1 or 0")),
    }
}

/// `<data dir>/rift/state.db` (`$XDG_DATA_HOME` on Linux), or `./rift-state.db` where there is no data dir.
pub fn default_state_path() -> PathBuf {
    dirs::data_dir()
        .map(|dir| dir.join("rift").join("state.db"))
        .unwrap_or_else(|| PathBuf::from("rift-state.db"))
}

/// A raw secret found in some input: where, and what it looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSecret {
    /// JSON path of the field, e.g. "do_config.token".
    pub field: String,
    pub kind: SecretKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    DigitaloceanToken,
    AwsAccessKeyId,
    AwsSecretKey,
    SpacesSecretKey,
}

impl std::fmt::Display for RawSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, how) = match self.kind {
            SecretKind::DigitaloceanToken => (
                "a raw DigitalOcean token",
                "put it in an environment variable of rift's process and pass a reference such as \
                 env:DIGITALOCEAN_TOKEN",
            ),
            SecretKind::AwsAccessKeyId | SecretKind::AwsSecretKey => (
                if self.kind == SecretKind::AwsAccessKeyId {
                    "an AWS access key id"
                } else {
                    "an AWS secret access key"
                },
                "keep AWS keys in the AWS credential chain (environment, ~/.aws/credentials, SSO) and name a \
                 profile in aws_config.credentials",
            ),
            SecretKind::SpacesSecretKey => (
                "a DigitalOcean Spaces secret key",
                "put Spaces keys in SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY in rift's environment",
            ),
        };
        write!(
            f,
            "{}: looks like {what}; rift never accepts or stores secrets: {how}",
            self.field
        )
    }
}

/// Finds the first string in `value` that looks like a raw secret.
pub fn find_raw_secret(value: &serde_json::Value) -> Option<RawSecret> {
    fn walk(value: &serde_json::Value, path: &str) -> Option<RawSecret> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            serde_json::Value::String(s) => secret_kind(s).map(|kind| RawSecret {
                field: if path.is_empty() {
                    "argument".to_string()
                } else {
                    path.to_string()
                },
                kind,
            }),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                secret_kind(k)
                    .map(|kind| RawSecret {
                        field: join("<key>"),
                        kind,
                    })
                    .or_else(|| match v {
                        serde_json::Value::String(s) => {
                            secret_kind_under(k, s).map(|kind| RawSecret {
                                field: join(k),
                                kind,
                            })
                        }
                        _ => walk(v, &join(k)),
                    })
            }),
            _ => None,
        }
    }
    walk(value, "")
}

/// What kind of secret `text` contains, if any.
pub fn secret_kind(text: &str) -> Option<SecretKind> {
    scan(text, false)
}

/// [`secret_kind`] of a value written under `key` (a JSON object key): a value under a secret-ish key such as
/// `SecretAccessKey` is judged as if it followed that keyword in the text.
fn secret_kind_under(key: &str, text: &str) -> Option<SecretKind> {
    scan(text, is_secret_keyword(key))
}

/// Looks through `text` for raw secrets. `under_keyword`: the text is the value of a secret-ish key. Besides the
/// text as written, it looks at the text with shell quoting removed (`"dop_v1""_…"` is the token to a shell) and
/// inside base64 (twice nested at most), because user data hands both to a shell that reassembles the secret.
fn scan(text: &str, under_keyword: bool) -> Option<SecretKind> {
    scan_nested(text, under_keyword, 2)
}

fn scan_nested(text: &str, under_keyword: bool, depth: u8) -> Option<SecretKind> {
    if let Some(kind) = scan_plain(text, under_keyword) {
        return Some(kind);
    }
    let unquoted = without_quoting(text);
    if unquoted != text
        && let Some(kind) = scan_plain(&unquoted, under_keyword)
    {
        return Some(kind);
    }
    if depth == 0 {
        return None;
    }
    words(&unquoted)
        .filter(|(_, word)| word.len() >= SHORTEST_BASE64_SECRET)
        .filter_map(|(_, word)| decode_base64(word))
        .find_map(|decoded| scan_nested(&decoded, false, depth - 1))
}

/// The base64 of the shortest secret rift looks for (a 20-character AWS access key id) is 27 characters.
const SHORTEST_BASE64_SECRET: usize = 27;

/// `text` as a shell would join it: quotes dropped (`"a""b"`, `'a'b`) and line continuations removed.
fn without_quoting(text: &str) -> String {
    text.replace("\\\n", "")
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '`' | '\\'))
        .collect()
}

/// A word of the standard base64 alphabet decoded (padding restored), as text where it is not.
fn decode_base64(word: &str) -> Option<String> {
    let padding = match word.len() % 4 {
        0 => "",
        2 => "==",
        3 => "=",
        _ => return None,
    };
    let bytes = aws_smithy_types::base64::decode(format!("{word}{padding}")).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The patterns themselves, on `text` as given.
fn scan_plain(text: &str, under_keyword: bool) -> Option<SecretKind> {
    // DigitalOcean personal, OAuth and refresh tokens (`dop_v1_` + 64 hex), anywhere, glued to anything, in
    // either case.
    let lower = text.to_ascii_lowercase();
    if ["dop_v1_", "doo_v1_", "dor_v1_"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return Some(SecretKind::DigitaloceanToken);
    }
    if contains_aws_key_id(text) {
        return Some(SecretKind::AwsAccessKeyId);
    }
    if contains_bare_token(text) {
        return Some(SecretKind::DigitaloceanToken);
    }
    // Words are runs of the characters AWS and Spaces secret keys are made of: `=`, `:`, quotes, whitespace,
    // `_`, `-`, `.` and the rest separate them, so `AWS_SECRET_ACCESS_KEY=<key>` yields the key as a word.
    for (start, word) in words(text) {
        let before = &text[..start];
        let keyword = is_secret_keyword(keyword_before(before))
            || (under_keyword && before.chars().all(is_assignment_char));
        match word.len() {
            // A key glued to a character or two (`echo x<key>`) still is one.
            40..=42 if key_windows(word).any(|w| looks_like_key(w, keyword)) => {
                return Some(SecretKind::AwsSecretKey);
            }
            43 if keyword && looks_like_key(word, true) => {
                return Some(SecretKind::SpacesSecretKey);
            }
            _ => {}
        }
    }
    None
}

/// The 40-character windows of a word of 40 to 42: the key itself, or the key with what was glued to it cut off.
fn key_windows(word: &str) -> impl Iterator<Item = &str> {
    (0..=word.len() - 40).filter_map(|start| word.get(start..start + 40))
}

/// Words on a line that says what they are hash a file; 64 hex characters there are a SHA-256, not a token.
const HASH_LABELS: [&str; 5] = [
    "sha256",
    "sha-256",
    "checksum",
    "digest",
    PREFIX_OF_APPROVALS,
];

/// rift's own approval tokens end in a 64-hex HMAC-SHA256.
const PREFIX_OF_APPROVALS: &str = "rift-approval";

/// A DigitalOcean token without its `dop_v1_` prefix: exactly 64 hex digits (either case), unless the line
/// labels it as a hash.
fn contains_bare_token(text: &str) -> bool {
    text.lines().any(|line| {
        let lower = line.to_ascii_lowercase();
        !HASH_LABELS.iter().any(|label| lower.contains(label))
            && line
                .split(|c: char| !c.is_ascii_hexdigit())
                .any(|run| run.len() == 64)
    })
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '+')
}

/// What may stand between a keyword and its value: `KEY=v`, `key: v`, `"Key": "v"`, `key = 'v'`, `--key v`.
fn is_assignment_char(c: char) -> bool {
    c.is_whitespace() || matches!(c, '=' | ':' | '"' | '\'' | '`')
}

/// The maximal runs of [`is_key_char`] in `text`, with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while rest.next_if(|(_, c)| !is_key_char(*c)).is_some() {}
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some((i, c)) = rest.next_if(|(_, c)| is_key_char(*c)) {
            end = i + c.len_utf8();
        }
        Some((start, &text[start..end]))
    })
}

/// The identifier right before a value: `AWS_SECRET_ACCESS_KEY` in `export AWS_SECRET_ACCESS_KEY="`.
fn keyword_before(before: &str) -> &str {
    let trimmed = before.trim_end_matches(is_assignment_char);
    let start = trimmed
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .last()
        .map_or(trimmed.len(), |(i, _)| i);
    &trimmed[start..]
}

/// `secret`, `client_secret`, `aws_secret_access_key`, `SecretAccessKey`, `SPACES_SECRET`, `--secret-key`; not
/// names of secrets such as `SecretId` or `secret_name`.
fn is_secret_keyword(word: &str) -> bool {
    let name: String = word
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    name.contains("secret") && (name.ends_with("secret") || name.ends_with("key"))
}

/// `(AKIA|ASIA)[A-Z0-9]{16}` anywhere in `text`.
fn contains_aws_key_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(20).any(|w| {
        (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
            && w[4..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// A run of key characters that is a key rather than a path or a name: never a path (`/` first, or `//`); then
/// either random-looking (upper case, lower case and digits: hex hashes and names do not match), or, after a
/// secret keyword, at least not a single class of characters.
fn looks_like_key(word: &str, after_keyword: bool) -> bool {
    if word.starts_with('/') || word.contains("//") {
        return false;
    }
    let classes = [
        word.chars().any(|c| c.is_ascii_uppercase()),
        word.chars().any(|c| c.is_ascii_lowercase()),
        word.chars().any(|c| c.is_ascii_digit()),
    ];
    let count = classes.iter().filter(|&&present| present).count();
    count == 3 || (after_keyword && count >= 2)
}

/// `text` with every whitespace-separated part that holds a secret replaced by a placeholder (for log lines);
/// when the secret is only recognisable across parts (`secret = <key>`), the whole text is replaced.
pub fn redact_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    if secret_kind(text).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let parts: String = text
        .split_inclusive(char::is_whitespace)
        .map(|part| {
            let word = part.trim_end();
            if secret_kind(word).is_some() {
                format!("<redacted secret>{}", &part[word.len()..])
            } else {
                part.to_string()
            }
        })
        .collect();
    if secret_kind(&parts).is_some() {
        std::borrow::Cow::Owned("<redacted: this text looked like it held a secret>".to_string())
    } else {
        std::borrow::Cow::Owned(parts)
    }
}

/// `text` for an error message: itself unless it looks like a secret, then a placeholder.
pub fn redact(text: &str) -> String {
    if secret_kind(text).is_some() {
        "<redacted secret>".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DO_TOKEN: &str =
        "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const SPACES_SECRET: &str = "Zk3bQ9xLr2Vt8Yw1Hn4Jc6Ps0Dm5Gf7Ka+Eu/Io2Ls9";

    #[test]
    fn finds_raw_secrets_anywhere_and_says_how_to_reference_them() {
        let found =
            find_raw_secret(&json!({"do_config": {"region": "nyc3", "token": DO_TOKEN}})).unwrap();
        assert_eq!(found.field, "do_config.token");
        assert!(found.to_string().contains("env:DIGITALOCEAN_TOKEN"));
        assert!(!found.to_string().contains("0123456789abcdef"));

        let found =
            find_raw_secret(&json!({"a": ["x", format!("key {AWS_SECRET} here")]})).unwrap();
        assert_eq!(
            (found.field.as_str(), found.kind),
            ("a[1]", SecretKind::AwsSecretKey)
        );
        let found = find_raw_secret(&json!({"credentials": "AKIAIOSFODNN7EXAMPLE"})).unwrap();
        assert_eq!(found.kind, SecretKind::AwsAccessKeyId);
        assert!(found.to_string().contains("profile"));
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        for text in [
            "env:DIGITALOCEAN_TOKEN",
            "default",
            "us-east-1",
            "0123456789abcdef0123456789abcdef01234567", // a SHA-1 in hex
            "plan-0123456789ab",
            "shop-web-1",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-lb/50dc6c495c0c9188",
        ] {
            assert_eq!(secret_kind(text), None, "{text}");
        }
    }

    #[test]
    fn secrets_in_assignments_and_env_files_are_found() {
        let user_data = format!(
            "#cloud-config\nruncmd:\n  - export AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n  - echo hi\n"
        );
        for (text, kind) in [
            (
                format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET}"),
                SecretKind::AwsSecretKey,
            ),
            (user_data, SecretKind::AwsSecretKey),
            (
                format!("aws_secret_access_key = {AWS_SECRET}"),
                SecretKind::AwsSecretKey,
            ),
            (
                format!("{{\"SecretAccessKey\": \"{AWS_SECRET}\"}}"),
                SecretKind::AwsSecretKey,
            ),
            (format!("key='{AWS_SECRET}'"), SecretKind::AwsSecretKey),
            (
                "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE".to_string(),
                SecretKind::AwsAccessKeyId,
            ),
            (
                "id:ASIAIOSFODNN7EXAMPLE,".to_string(),
                SecretKind::AwsAccessKeyId,
            ),
            // No word boundary needed.
            (
                "xAKIAIOSFODNN7EXAMPLEy".to_string(),
                SecretKind::AwsAccessKeyId,
            ),
            (
                format!("DIGITALOCEAN_TOKEN={DO_TOKEN}"),
                SecretKind::DigitaloceanToken,
            ),
            (format!("x{DO_TOKEN}x"), SecretKind::DigitaloceanToken),
            // After a secret keyword, a key needs only two kinds of characters.
            (
                "client_secret: abcdefghij0123456789abcdefghij0123456789".to_string(),
                SecretKind::AwsSecretKey,
            ),
            (
                format!("SPACES_SECRET_ACCESS_KEY={SPACES_SECRET}"),
                SecretKind::SpacesSecretKey,
            ),
            (
                format!("export SPACES_SECRET=\"{SPACES_SECRET}\""),
                SecretKind::SpacesSecretKey,
            ),
        ] {
            assert_eq!(secret_kind(&text), Some(kind), "{text}");
        }

        // A value under a secret-ish JSON key is judged with the key as its keyword.
        let weak = "abcdefghij0123456789abcdefghij0123456789";
        assert_eq!(secret_kind(weak), None);
        let found = find_raw_secret(&json!({"env": {"AWS_SECRET_ACCESS_KEY": weak}})).unwrap();
        assert_eq!(
            (found.field.as_str(), found.kind),
            ("env.AWS_SECRET_ACCESS_KEY", SecretKind::AwsSecretKey)
        );
        let found = find_raw_secret(&json!({"SPACES_SECRET_ACCESS_KEY": SPACES_SECRET})).unwrap();
        assert_eq!(found.kind, SecretKind::SpacesSecretKey);
        let message = found.to_string();
        assert!(
            message.contains("SPACES_SECRET_ACCESS_KEY") && !message.contains(SPACES_SECRET),
            "{message}"
        );

        let found = find_raw_secret(&json!({"spec": {"user_data": format!(
            "#!/bin/sh\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
        )}}))
        .unwrap();
        assert_eq!(found.field, "spec.user_data");
        assert!(!found.to_string().contains(AWS_SECRET));
    }

    #[test]
    fn secrets_disguised_by_gluing_quoting_case_or_encoding_are_found() {
        let hex = &DO_TOKEN["dop_v1_".len()..];
        let b64 = |text: &str| aws_smithy_types::base64::encode(text);
        for (text, kind) in [
            // An AWS secret glued to a letter or two in a shell command.
            (
                format!("#!/bin/sh\necho x{AWS_SECRET} > /root/key\n"),
                SecretKind::AwsSecretKey,
            ),
            (format!("k{AWS_SECRET}z"), SecretKind::AwsSecretKey),
            // A token the shell reassembles from quoted pieces.
            (
                format!("curl -H \"Authorization: Bearer \"dop_v1\"\"_{hex}\""),
                SecretKind::DigitaloceanToken,
            ),
            (
                format!("T='dop'_v1'_{}'{}", &hex[..10], &hex[10..]),
                SecretKind::DigitaloceanToken,
            ),
            // The 64 hex characters alone, in either case, and the prefix in upper case.
            (format!("TOKEN={hex}"), SecretKind::DigitaloceanToken),
            (hex.to_ascii_uppercase(), SecretKind::DigitaloceanToken),
            (DO_TOKEN.to_ascii_uppercase(), SecretKind::DigitaloceanToken),
            // Base64 of a token or a key, and base64 of that.
            (
                format!("echo {} | base64 -d > /etc/do", b64(DO_TOKEN)),
                SecretKind::DigitaloceanToken,
            ),
            (
                format!("echo {}", b64(&format!("export K={AWS_SECRET}"))),
                SecretKind::AwsSecretKey,
            ),
            (b64(&b64(DO_TOKEN)), SecretKind::DigitaloceanToken),
            (
                b64("AKIAIOSFODNN7EXAMPLE")
                    .trim_end_matches('=')
                    .to_string(),
                SecretKind::AwsAccessKeyId,
            ),
        ] {
            assert_eq!(secret_kind(&text), Some(kind), "{text}");
        }
        let found = find_raw_secret(&json!({"components": [{"name": "web",
            "user_data": format!("#cloud-config\nruncmd:\n  - echo x{AWS_SECRET}\n")}]}))
        .unwrap();
        assert_eq!(found.field, "components[0].user_data");
    }

    #[test]
    fn hashes_keys_and_tokens_that_are_not_secrets_pass_the_deeper_scan() {
        let sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop";
        for text in [
            format!("sha256:{sha256}"),
            format!("echo \"{sha256}  app.tar.gz\" | sha256sum -c"),
            format!("checksum = {sha256}"),
            format!("#cloud-config\nssh_authorized_keys:\n  - {ssh_key}\n"),
            aws_smithy_types::base64::encode("#!/bin/sh\napt-get install -y nginx\n"),
            "rift-approval.1800000600000.0123456789abcdef0123456789abcdef.\
             9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                .to_string(),
        ] {
            assert_eq!(secret_kind(&text), None, "{text}");
        }
    }

    #[test]
    fn log_lines_keep_everything_but_the_secret() {
        assert_eq!(
            redact_secrets("refused a call from it"),
            "refused a call from it"
        );
        assert_eq!(
            redact_secrets(&format!("client {DO_TOKEN} connected")),
            "client <redacted secret> connected"
        );
        let weak = "abcdefghij0123456789abcdefghij0123456789";
        let line = format!("aws_secret_access_key = {weak}");
        let redacted = redact_secrets(&line);
        assert!(!redacted.contains(weak), "{redacted}");
    }

    #[test]
    fn long_paths_names_and_cloud_init_are_not_secrets() {
        for text in [
            // 40-character paths and names.
            "/usr/local/lib/python3/site-packages/abcd",
            "/Users/Alice/Projects2024/MyApp/srcMain4",
            "usr//Local/Lib/Python3/SitePackagesAbcd1",
            "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ",
            "abcdefghijabcdefghijabcdefghijabcdefghij",
            "MyVeryLongResourceNameWithoutAnyDigitsXY",
            // Lower-case hex after a keyword-less assignment (a hash).
            "sha1=0123456789abcdef0123456789abcdef01234567",
            "#cloud-config\npackages:\n  - nginx\nruncmd:\n  - curl -fsSL https://get.docker.com | sh\n  \
             - systemctl enable --now nginx\nwrite_files:\n  - path: /etc/nginx/conf.d/default.conf\n",
            "AWS_REGION=us-east-1",
            "AWS_ACCESS_KEY_ID=AKIA-not-a-key",
            "ASIAPACIFIC",
            // Names of secrets are not secrets, even after a keyword.
            "SecretId: prod/shop/database/credentials/main",
            "secret_name=prodshopdatabasecredentials0123456789abc",
            // A 43-character run is only a Spaces key after a keyword.
            "Abcdefghij0123456789Abcdefghij0123456789Abc",
            "secret=/abcdefghij0123456789abcdefghij012345678",
        ] {
            assert_eq!(secret_kind(text), None, "{text}");
        }
        assert_eq!(
            find_raw_secret(&json!({"SecretId": "ABCDEFGHIJabcdefghijABCDEFGHIJabcdefghij"})),
            None
        );
    }

    #[test]
    fn file_then_env_then_flags() {
        let dir = tempdir();
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "state = \"/from/file.db\"\nallow_writes = true\nmonthly_budget_usd = 100\n[policy]\nsizes = [\"t3.*\"]\n",
        )
        .unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        let settings = load(&overrides, |_| None).unwrap();
        assert_eq!(settings.state_path, PathBuf::from("/from/file.db"));
        assert!(settings.allow_writes);
        assert_eq!(settings.policy.sizes, vec!["t3.*".to_string()]);
        assert_eq!(settings.policy.max_creations_per_hour, None);
        assert_eq!(settings.default_monthly_budget_usd, Some(100.0));

        let env = |name: &str| (name == "RIFT_MONTHLY_BUDGET_USD").then(|| "250".to_string());
        let overrides = Overrides {
            config: Some(path),
            state: Some(PathBuf::from("/flag.db")),
            allow_writes: Some(false),
            tools: None,
            http_max_sessions: None,
        };
        let settings = load(&overrides, env).unwrap();
        assert_eq!(settings.default_monthly_budget_usd, Some(250.0));
        assert_eq!(settings.state_path, PathBuf::from("/flag.db"));
        assert!(!settings.allow_writes);
    }

    #[test]
    fn database_urls_as_state_are_checked_without_quoting_them() {
        let overrides = Overrides {
            state: Some(PathBuf::from("postgres://rift:hunter2@db.example.com/rift")),
            ..Overrides::default()
        };
        let settings = load(&overrides, |_| None).unwrap();
        let store = crate::store::Store::new(settings.state_path);
        assert!(store.is_shared());
        assert_eq!(store.location(), "postgres://rift@db.example.com:5432/rift");

        let overrides = Overrides {
            state: Some(PathBuf::from(
                "postgres://rift:hunter2@db.example.com:notaport/rift",
            )),
            ..Overrides::default()
        };
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("not valid")
                && err.contains("postgres://USER")
                && !err.contains("hunter2"),
            "{err}"
        );

        let overrides = Overrides {
            state: Some(PathBuf::from("mysql://rift:hunter2@db.example.com/rift")),
            ..Overrides::default()
        };
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("mysql:// URL is not supported")
                && err.contains("postgres://")
                && !err.contains("hunter2"),
            "{err}"
        );
        // A path with a colon in it is still a path.
        let overrides = Overrides {
            state: Some(PathBuf::from("/tmp/a:b/state.db")),
            ..Overrides::default()
        };
        assert!(load(&overrides, |_| None).is_ok());
    }

    #[test]
    fn bad_files_and_values_are_named() {
        let dir = tempdir();
        let path = dir.join("bad.toml");
        std::fs::write(&path, "[policy]\nmax_resource_per_plan = 3\n").unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml") && err.contains("max_resource_per_plan"),
            "{err}"
        );

        std::fs::write(&path, format!("[policy]\nregions = [\"{DO_TOKEN}\"]\n")).unwrap();
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("raw DigitalOcean token") && !err.contains("0123456789abcdef"),
            "{err}"
        );

        let err = load(&Overrides::default(), |n| {
            (n == "RIFT_MAX_CREATIONS_PER_HOUR").then(|| "many".to_string())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("RIFT_MAX_CREATIONS_PER_HOUR"), "{err}");
    }

    #[test]
    fn apply_concurrency_from_file_then_env_within_its_range() {
        assert_eq!(
            load(&Overrides::default(), |_| None)
                .unwrap()
                .apply_concurrency,
            DEFAULT_APPLY_CONCURRENCY
        );

        let dir = tempdir();
        let path = dir.join("concurrency.toml");
        std::fs::write(&path, "apply_concurrency = 8\n").unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        assert_eq!(load(&overrides, |_| None).unwrap().apply_concurrency, 8);
        let env = |value: &'static str| {
            move |name: &str| (name == "RIFT_APPLY_CONCURRENCY").then(|| value.to_string())
        };
        assert_eq!(load(&overrides, env(" 1 ")).unwrap().apply_concurrency, 1);
        assert_eq!(load(&overrides, env("32")).unwrap().apply_concurrency, 32);

        for bad in ["0", "33", "-1", "four", ""] {
            let err = load(&overrides, env(bad)).unwrap_err().to_string();
            assert!(
                err.contains("RIFT_APPLY_CONCURRENCY") && err.contains("1 to 32"),
                "{bad:?}: {err}"
            );
        }

        for bad in ["0", "33", "-2"] {
            std::fs::write(&path, format!("apply_concurrency = {bad}\n")).unwrap();
            let err = load(&overrides, |_| None).unwrap_err().to_string();
            assert!(
                err.contains("concurrency.toml")
                    && err.contains("apply_concurrency")
                    && err.contains("1 to 32"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_zero_approval_lifetime_is_refused() {
        let env = |value: &'static str| {
            move |name: &str| (name == "RIFT_APPROVAL_TTL_S").then(|| value.to_string())
        };
        assert_eq!(
            load(&Overrides::default(), env("1"))
                .unwrap()
                .approval_ttl_s,
            1
        );
        for bad in ["0", "-5", "soon"] {
            let err = load(&Overrides::default(), env(bad))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("RIFT_APPROVAL_TTL_S") && err.contains("at least 1"),
                "{bad}: {err}"
            );
        }
        let dir = tempdir();
        let path = dir.join("ttl.toml");
        std::fs::write(&path, "approval_ttl_s = 0\n").unwrap();
        let overrides = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("ttl.toml")
                && err.contains("approval_ttl_s")
                && err.contains("at least 1"),
            "{err}"
        );
    }

    #[test]
    fn the_http_session_cap_from_file_env_then_flag() {
        assert_eq!(
            load(&Overrides::default(), |_| None)
                .unwrap()
                .http_max_sessions,
            DEFAULT_HTTP_MAX_SESSIONS
        );
        let dir = tempdir();
        let path = dir.join("sessions.toml");
        std::fs::write(&path, "http_max_sessions = 7\n").unwrap();
        let mut overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        assert_eq!(load(&overrides, |_| None).unwrap().http_max_sessions, 7);
        let env = |value: &'static str| {
            move |name: &str| (name == "RIFT_HTTP_MAX_SESSIONS").then(|| value.to_string())
        };
        assert_eq!(load(&overrides, env("3")).unwrap().http_max_sessions, 3);
        overrides.http_max_sessions = Some(2);
        assert_eq!(load(&overrides, env("3")).unwrap().http_max_sessions, 2);

        overrides.http_max_sessions = Some(0);
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("--max-sessions") && err.contains("1 to 10000"),
            "{err}"
        );
        overrides.http_max_sessions = None;
        let err = load(&overrides, env("0")).unwrap_err().to_string();
        assert!(
            err.contains("RIFT_HTTP_MAX_SESSIONS") && err.contains("1 to 10000"),
            "{err}"
        );
        std::fs::write(&path, "http_max_sessions = -1\n").unwrap();
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("http_max_sessions") && err.contains("1 to 10000"),
            "{err}"
        );
    }

    #[test]
    fn the_watcher_is_off_unless_an_interval_is_given_within_range() {
        assert_eq!(load(&Overrides::default(), |_| None).unwrap().watch_s, None);
        let env = |value: &'static str| {
            move |name: &str| (name == "RIFT_WATCH_S").then(|| value.to_string())
        };
        assert_eq!(
            load(&Overrides::default(), env("30")).unwrap().watch_s,
            Some(30)
        );
        let err = load(&Overrides::default(), env("0"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("RIFT_WATCH_S") && err.contains("1 to 86400"),
            "{err}"
        );
        let dir = tempdir();
        let path = dir.join("watch.toml");
        std::fs::write(&path, "watch_s = 5\n").unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        assert_eq!(load(&overrides, |_| None).unwrap().watch_s, Some(5));
        std::fs::write(&path, "watch_s = 0\n").unwrap();
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("watch_s") && err.contains("1 to 86400"),
            "{err}"
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("1"), Ok(true));
        assert_eq!(parse_bool("off"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rift-config-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn tool_groups_from_file_env_or_flag_are_checked() {
        assert_eq!(
            ToolGroup::parse_list("projects, plan,plan").unwrap(),
            vec![ToolGroup::Plan, ToolGroup::Projects]
        );
        assert_eq!(
            ToolGroup::parse_list("all").unwrap(),
            ToolGroup::ALL.to_vec()
        );
        let err = ToolGroup::parse_list("plan,monitor").unwrap_err();
        assert!(
            err.contains("\"monitor\" is not a tool group") && err.contains("operate"),
            "{err}"
        );
        assert!(ToolGroup::parse_list(" , ").is_err());

        let dir = tempdir();
        let path = dir.join("tools.toml");
        std::fs::write(
            &path,
            "tools = [\"operate\", \"plan\"]\nchange_wait_s = 3\n",
        )
        .unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        let settings = load(&overrides, |_| None).unwrap();
        assert_eq!(
            settings.tool_groups,
            vec![ToolGroup::Plan, ToolGroup::Operate]
        );
        assert_eq!(settings.change_wait_s, 3);
        let flag = Overrides {
            config: Some(path),
            tools: Some(vec![ToolGroup::Views]),
            ..Overrides::default()
        };
        assert_eq!(
            load(&flag, |_| None).unwrap().tool_groups,
            vec![ToolGroup::Views]
        );
        assert_eq!(Settings::default().tool_groups, ToolGroup::DEFAULT.to_vec());
    }
}
