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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            state_path: default_state_path(),
            allow_writes: false,
            approval_ttl_s: DEFAULT_APPROVAL_TTL_S,
            policy: Policy::default(),
            default_monthly_budget_usd: None,
            apply_concurrency: DEFAULT_APPLY_CONCURRENCY,
        }
    }
}

pub const DEFAULT_APPROVAL_TTL_S: u64 = 600;

/// Enough to overlap slow creates, few enough to stay clear of the clouds' rate limits.
pub const DEFAULT_APPLY_CONCURRENCY: usize = 4;

/// Below 1 an apply would start nothing; above 32 it would mostly collect rate-limit errors (DigitalOcean allows
/// 250 requests a minute, and every create polls).
pub const APPLY_CONCURRENCY_RANGE: RangeInclusive<usize> = 1..=32;

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
    policy: Option<Policy>,
}

/// What the command line says (flags and the environment variables clap reads for them).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub allow_writes: Option<bool>,
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
    #[error(
        "state: a {scheme}:// URL is not supported yet: rift keeps its state in SQLite; give a file path \
         (--state, RIFT_STATE or state in the config file)"
    )]
    StateUrl { scheme: String },
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
        settings.approval_ttl_s = ttl;
    }
    if let Some(policy) = file.policy {
        settings.policy = policy;
    }
    settings.default_monthly_budget_usd = file.monthly_budget_usd;
    if let Some(bound) = file.apply_concurrency {
        settings.apply_concurrency = bound;
    }
    apply_env(&mut settings, &env)?;
    if let Some(state) = &overrides.state {
        settings.state_path = state.clone();
    }
    if let Some(allow) = overrides.allow_writes {
        settings.allow_writes = allow;
    }
    check_state_path(&settings.state_path)?;
    Ok(settings)
}

/// A `scheme://` state would otherwise be taken as a relative file path (`./postgres:/...`). Only the scheme
/// is quoted: the rest of a database URL may hold a password.
fn check_state_path(path: &Path) -> Result<(), ConfigError> {
    let text = path.to_string_lossy();
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
        settings.approval_ttl_s = parse("RIFT_APPROVAL_TTL_S", &v, "a number of seconds")?;
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
    if let Some(v) = env("RIFT_APPLY_CONCURRENCY") {
        let bound = parse(
            "RIFT_APPLY_CONCURRENCY",
            &v,
            &format!("a whole number from {}", range_text()),
        )?;
        settings.apply_concurrency =
            apply_concurrency(bound).map_err(|message| ConfigError::Env {
                name: "RIFT_APPLY_CONCURRENCY".to_string(),
                message,
            })?;
    }
    Ok(())
}

/// An apply concurrency bound, wherever it was written, checked against [`APPLY_CONCURRENCY_RANGE`].
fn apply_concurrency(bound: i64) -> Result<usize, String> {
    usize::try_from(bound)
        .ok()
        .filter(|b| APPLY_CONCURRENCY_RANGE.contains(b))
        .ok_or_else(|| {
            format!(
                "{bound} is out of range; use a whole number from {}",
                range_text()
            )
        })
}

/// Read as a signed number so a negative value gets the range message rather than serde's "expected usize"; the
/// message names the key because the TOML error reaching the user carries only the message.
fn file_apply_concurrency<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    let bound = i64::deserialize(deserializer)?;
    apply_concurrency(bound)
        .map(Some)
        .map_err(|message| serde::de::Error::custom(format!("apply_concurrency: {message}")))
}

fn range_text() -> String {
    format!(
        "{} to {}",
        APPLY_CONCURRENCY_RANGE.start(),
        APPLY_CONCURRENCY_RANGE.end()
    )
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

/// Looks through `text` for raw secrets. `under_keyword`: the text is the value of a secret-ish key.
fn scan(text: &str, under_keyword: bool) -> Option<SecretKind> {
    // DigitalOcean personal, OAuth and refresh tokens (`dop_v1_` + 64 hex), anywhere, glued to anything.
    if ["dop_v1_", "doo_v1_", "dor_v1_"]
        .iter()
        .any(|p| text.contains(p))
    {
        return Some(SecretKind::DigitaloceanToken);
    }
    if contains_aws_key_id(text) {
        return Some(SecretKind::AwsAccessKeyId);
    }
    // Words are runs of the characters AWS and Spaces secret keys are made of: `=`, `:`, quotes, whitespace,
    // `_`, `-`, `.` and the rest separate them, so `AWS_SECRET_ACCESS_KEY=<key>` yields the key as a word.
    for (start, word) in words(text) {
        let before = &text[..start];
        let keyword = is_secret_keyword(keyword_before(before))
            || (under_keyword && before.chars().all(is_assignment_char));
        match word.len() {
            40 if looks_like_key(word, keyword) => return Some(SecretKind::AwsSecretKey),
            43 if keyword && looks_like_key(word, true) => {
                return Some(SecretKind::SpacesSecretKey);
            }
            _ => {}
        }
    }
    None
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
        };
        let settings = load(&overrides, env).unwrap();
        assert_eq!(settings.default_monthly_budget_usd, Some(250.0));
        assert_eq!(settings.state_path, PathBuf::from("/flag.db"));
        assert!(!settings.allow_writes);
    }

    #[test]
    fn a_database_url_as_state_is_refused_without_quoting_it() {
        let overrides = Overrides {
            state: Some(PathBuf::from("postgres://rift:hunter2@db.example.com/rift")),
            ..Overrides::default()
        };
        let err = load(&overrides, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("postgres:// URL is not supported") && !err.contains("hunter2"),
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
}
