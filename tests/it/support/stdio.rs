//! The real `rift serve` binary driven over stdio (newline-delimited JSON-RPC), as an MCP client would. Every
//! wait is bounded, and the process is killed when the handle is dropped, so a failing test leaves nothing behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The longest any single answer (or the exit after stdin closes) may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Rift {
    child: Child,
    /// `None` once closed (stop).
    stdin: Option<ChildStdin>,
    /// stdout, line by line, from a reader thread: reads can then time out.
    lines: Receiver<String>,
    /// Collects stderr so the pipe never fills up; joined when the process has exited.
    stderr: Option<JoinHandle<String>>,
    next_id: u64,
}

impl Rift {
    pub fn start(state: &Path, writes: bool) -> Rift {
        let flags: &[&str] = if writes { &["--allow-writes"] } else { &[] };
        Rift::start_with(state, flags, &[])
    }

    /// `rift serve --state <state> <flags>` with `env` added to a cleaned environment, initialized.
    pub fn start_with(state: &Path, flags: &[&str], env: &[(&str, &str)]) -> Rift {
        Rift::start_as("it", state, flags, env)
    }

    /// As [`Rift::start_with`], with the client calling itself `client` in its initialize request.
    pub fn start_as(client: &str, state: &Path, flags: &[&str], env: &[(&str, &str)]) -> Rift {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rift"));
        cmd.arg("serve").arg("--state").arg(state).args(flags);
        // No credentials or endpoints of the developer's machine may leak into the test.
        for var in [
            "DIGITALOCEAN_TOKEN",
            "DIGITALOCEAN_ACCESS_TOKEN",
            "DIGITALOCEAN_API_URL",
            "RIFT_ALLOW_WRITES",
            "RIFT_CONFIG",
            "RIFT_STATE",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().copied());
        let mut child = cmd
            .env("XDG_CONFIG_HOME", state.parent().unwrap())
            .env("RIFT_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut rift = Rift {
            child,
            stdin: Some(stdin),
            lines,
            stderr: Some(stderr),
            next_id: 0,
        };
        rift.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": client, "version": "0"}}),
        );
        rift.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        rift
    }

    pub fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request without waiting for its answer; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits (bounded) for its answer, skipping notifications and other answers.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.answer(id, method)
    }

    /// Waits (bounded) for the answer to request `id` (a `method` request), skipping everything else.
    pub fn answer(&mut self, id: u64, method: &str) -> Value {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{method}: no answer within {ANSWER_TIMEOUT:?}")
                }
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: rift closed stdout"),
            };
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    pub fn tool_names(&mut self) -> Vec<String> {
        let reply = self.request("tools/list", json!({}));
        reply["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// (is_error, structured content or the error text)
    pub fn call(&mut self, tool: &str, args: Value) -> (bool, Value) {
        let reply = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let result = &reply["result"];
        assert!(result.is_object(), "{tool}: protocol error {reply}");
        if result["isError"] == json!(true) {
            (true, result["content"][0]["text"].clone())
        } else {
            (false, result["structuredContent"].clone())
        }
    }

    pub fn ok(&mut self, tool: &str, args: Value) -> Value {
        let (is_error, value) = self.call(tool, args);
        assert!(!is_error, "{tool} failed: {value}");
        value
    }

    pub fn refused(&mut self, tool: &str, args: Value) -> String {
        let (is_error, value) = self.call(tool, args);
        assert!(is_error, "{tool} should have been refused: {value}");
        value.as_str().unwrap().to_string()
    }

    /// Closes stdin, waits (bounded) for the exit, returns stderr.
    pub fn stop(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "rift did not exit within {ANSWER_TIMEOUT:?} of its stdin closing"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr()
    }

    /// SIGKILL (what `Child::kill` sends on unix): no shutdown code runs. Returns stderr.
    pub fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.stderr()
    }

    fn stderr(&mut self) -> String {
        self.stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Rift {
    fn drop(&mut self) {
        // Already exited (stop, kill) or not: it must not outlive the test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory for one test's state; returns `<dir>/state.db`.
pub fn state_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rift-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.db")
}
