//! The log: formatted events on stderr (stdout is the protocol on stdio), filtered by `RIFT_LOG`, with the
//! libraries that log request contents capped, and every line passed through the secret scanner on its way out.

use std::io::Write;

use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Libraries whose events carry request and response contents, with the most they may log whatever `RIFT_LOG`
/// says. rmcp logs every tool call's arguments and result at debug (secrets an agent passed, approval tokens),
/// the client's self-description and every notification at info, and failed requests at warn (their error
/// message, which rift keeps free of what the client sent); the AWS SDK, hyper and reqwest log requests,
/// headers and bodies (signed URLs, bearer tokens) at debug. A target matches by prefix (`hyper` also covers
/// `hyper_util`).
const CAPS: [(&str, LevelFilter); 8] = [
    ("rmcp", LevelFilter::WARN),
    ("aws_smithy_runtime", LevelFilter::INFO),
    ("aws_smithy_runtime_api", LevelFilter::INFO),
    ("aws_smithy_http_client", LevelFilter::INFO),
    ("aws_sdk", LevelFilter::INFO),
    ("aws_config", LevelFilter::INFO),
    ("hyper", LevelFilter::INFO),
    ("reqwest", LevelFilter::INFO),
];

/// Installs the global subscriber. `RIFT_LOG` defaults to `warn`.
pub fn init() {
    let user = EnvFilter::try_from_env("RIFT_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    // An event is logged only when both the user's filter and the caps let it through: the caps lower the
    // noisy libraries and never raise anything the user's filter leaves out (an added `rmcp=warn` directive
    // would replace a user's `rmcp=error`, so this is a second filter instead).
    let caps = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPS);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(RedactingStderr)
                .with_ansi(false)
                .with_filter(user.and(caps)),
        )
        .init();
}

/// stderr, through [`crate::config::redact_secrets`]: whatever a library or a message put into a line, a token
/// or key in it is replaced before the line is written.
#[derive(Debug, Clone, Copy)]
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = Redacting<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting(std::io::stderr())
    }
}

/// A writer that redacts each write. The formatter writes one whole event per call, so a secret is never
/// split across two writes.
#[derive(Debug)]
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(crate::config::redact_secrets(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_line_loses_its_secrets_and_keeps_the_rest() {
        let token = format!("dop_v1_{}", "ab12".repeat(16));
        let mut out = Redacting(Vec::new());
        let line = format!("WARN rmcp::service: response error uri=rift://plans/{token}/x id=3\n");
        out.write_all(line.as_bytes()).unwrap();
        let written = String::from_utf8(out.0).unwrap();
        assert_eq!(
            written,
            "WARN rmcp::service: response error <redacted secret> id=3\n"
        );
    }
}
