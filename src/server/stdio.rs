//! The stdio transport's front door. rmcp's line transport drops a line that is not JSON (or not UTF-8, or
//! nested past serde_json's depth limit) without a word, so the client waits for its timeout and nothing is
//! logged. Every line passes through here first: a line rmcp could parse goes on to it unchanged; any other is
//! answered with a JSON-RPC parse error (-32700, with the request's id when one can be found) and a warning.
//! This layer also owns stdout, so its replies never interleave with rmcp's.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The longest line accepted, as rmcp's own transport caps it.
const MAX_LINE_BYTES: usize = rmcp::transport::async_rw::DEFAULT_MAX_LINE_LENGTH;
/// Buffer between this layer and rmcp, each way.
const PIPE_BYTES: usize = 64 * 1024;

/// The halves rmcp serves on, and the tasks that carry lines between them and the real streams. The tasks end
/// when `input` closes and rmcp has written its last line.
pub fn front<I, O>(
    input: I,
    output: O,
) -> (
    (tokio::io::DuplexStream, tokio::io::DuplexStream),
    tokio::task::JoinHandle<()>,
)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (to_rmcp, rmcp_reads) = tokio::io::duplex(PIPE_BYTES);
    let (rmcp_writes, from_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (replies, replies_rx) = mpsc::unbounded_channel();
    tokio::spawn(read_lines(input, to_rmcp, replies));
    let writer = tokio::spawn(write_lines(from_rmcp, replies_rx, output));
    ((rmcp_reads, rmcp_writes), writer)
}

async fn read_lines<I: AsyncRead + Unpin>(
    input: I,
    mut to_rmcp: tokio::io::DuplexStream,
    replies: mpsc::UnboundedSender<String>,
) {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .await;
        match read {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("stdin: {e}; closing the session");
                return;
            }
        }
        if line.len() > MAX_LINE_BYTES && !line.ends_with(b"\n") {
            tracing::warn!("stdin: a message longer than {MAX_LINE_BYTES} bytes was refused");
            let _ = replies.send(parse_error(
                None,
                &format!("a message may be at most {MAX_LINE_BYTES} bytes"),
            ));
            // Skip the rest of that line, a bounded chunk at a time.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match (&mut input)
                    .take(MAX_LINE_BYTES as u64)
                    .read_until(b'\n', &mut rest)
                    .await
                {
                    Ok(0) | Err(_) => return,
                    Ok(_) if rest.ends_with(b"\n") => break,
                    Ok(_) => {}
                }
            }
            continue;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match check(text) {
            Ok(()) => {
                if to_rmcp.write_all(text).await.is_err() || to_rmcp.write_all(b"\n").await.is_err()
                {
                    return;
                }
            }
            Err(refusal) => {
                tracing::warn!(
                    "stdin: refused a {}-byte line: {}",
                    text.len(),
                    refusal.reason
                );
                let _ = replies.send(parse_error(refusal.id, &refusal.reason));
            }
        }
    }
}

async fn write_lines<O: AsyncWrite + Unpin>(
    from_rmcp: tokio::io::DuplexStream,
    mut replies: mpsc::UnboundedReceiver<String>,
    mut output: O,
) {
    let mut from_rmcp = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    let mut rmcp_open = true;
    while rmcp_open {
        tokio::select! {
            read = from_rmcp.read_until(b'\n', &mut line) => {
                rmcp_open = matches!(read, Ok(n) if n > 0);
                if !line.is_empty() && write(&mut output, &line).await.is_err() {
                    return;
                }
                line.clear();
            }
            Some(reply) = replies.recv() => {
                if write(&mut output, reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn write<O: AsyncWrite + Unpin>(output: &mut O, line: &[u8]) -> std::io::Result<()> {
    output.write_all(line).await?;
    if !line.ends_with(b"\n") {
        output.write_all(b"\n").await?;
    }
    output.flush().await
}

/// Why a line is not a message, and the id of the request it held, when one can be read.
#[derive(Debug, PartialEq)]
struct Refusal {
    reason: String,
    id: Option<serde_json::Value>,
}

fn check(line: &[u8]) -> Result<(), Refusal> {
    let text = std::str::from_utf8(line).map_err(|e| Refusal {
        reason: format!(
            "the message is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
        id: None,
    })?;
    serde_json::from_str::<serde_json::Value>(text).map_err(|e| {
        let reason = if e.to_string().contains("recursion limit") {
            "the message nests arrays or objects deeper than 128 levels".to_string()
        } else {
            format!("the message is not JSON ({e})")
        };
        Refusal {
            reason,
            id: top_level_id(text),
        }
    })?;
    Ok(())
}

/// The `"id"` member of a top-level object, found by scanning rather than parsing (the line did not parse),
/// so a deep but otherwise well-formed request still gets its error under its own id.
fn top_level_id(text: &str) -> Option<serde_json::Value> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i)?;
                if depth == 1 && &text[i..=end] == "\"id\"" {
                    let rest = text[end + 1..].trim_start().strip_prefix(':')?.trim_start();
                    let value_end = rest
                        .find(|c: char| c == ',' || c == '}' || c.is_whitespace())
                        .unwrap_or(rest.len());
                    let value: serde_json::Value = serde_json::from_str(&rest[..value_end]).ok()?;
                    return (value.is_string() || value.is_number()).then_some(value);
                }
                i = end;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Index of the quote that closes the string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn parse_error(id: Option<serde_json::Value>, reason: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(serde_json::Value::Null),
        "error": {"code": -32700, "message": format!("Parse error: {reason}")},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn bad_lines_are_refused_with_a_reason_and_the_id_when_it_can_be_read() {
        assert_eq!(
            check(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Ok(())
        );
        let not_json = check(b"hello").unwrap_err();
        assert!(not_json.reason.contains("not JSON"), "{not_json:?}");
        assert_eq!(not_json.id, None);
        let not_utf8 = check(b"{\"id\":1,\"x\":\"\xff\"}").unwrap_err();
        assert!(not_utf8.reason.contains("not UTF-8"), "{not_utf8:?}");

        let deep = format!(
            r#"{{"jsonrpc":"2.0","method":"tools/call","params":{{"name":"plan_deployment","arguments":{{"x":{}{}}}}},"id":"req-7"}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let refusal = check(deep.as_bytes()).unwrap_err();
        assert!(refusal.reason.contains("deeper than 128"), "{refusal:?}");
        assert_eq!(refusal.id, Some(json!("req-7")));
        // An "id" inside the arguments is not the request's.
        assert_eq!(top_level_id(r#"{"params":{"id":5},"x":"#), None);
        assert_eq!(top_level_id(r#"{"a":"\"id\"","id": 9 }"#), Some(json!(9)));
    }

    #[tokio::test]
    async fn every_bad_line_gets_a_reply_and_good_lines_reach_rmcp() {
        let (mut client, server_side) = tokio::io::duplex(1 << 20);
        let (server_in, server_out) = tokio::io::split(server_side);
        let ((mut rmcp_in, mut rmcp_out), writer) = front(server_in, server_out);
        client
            .write_all(b"not json\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n\xff\xfe\n")
            .await
            .unwrap();
        // The good line reaches rmcp unchanged.
        let mut got = vec![0u8; 40];
        rmcp_in.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
        // What rmcp writes reaches the client whole.
        rmcp_out
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
            .await
            .unwrap();
        drop(rmcp_out);
        drop(rmcp_in);
        let mut lines = Vec::new();
        let mut reader = BufReader::new(&mut client);
        while lines.len() < 3 {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            lines.push(serde_json::from_str::<Value>(&line).unwrap());
        }
        let errors: Vec<&Value> = lines.iter().filter(|l| l.get("error").is_some()).collect();
        assert_eq!(errors.len(), 2, "{lines:?}");
        for error in errors {
            assert_eq!(error["error"]["code"], json!(-32700));
            assert_eq!(error["id"], Value::Null);
        }
        assert!(lines.iter().any(|l| l["result"] == json!({})), "{lines:?}");
        drop(reader);
        drop(client);
        writer.await.unwrap();
    }
}
