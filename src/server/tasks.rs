//! The MCP tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`). Where the client declared it, an approved
//! change still running when the call answers is handed back as a task: the client polls `tasks/get` (and may
//! `tasks/cancel`) instead of following a "running" result with get_change. The task is the change — its id is
//! the change id and its state the recorded one — so a task survives the session and the process, like the change.

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{
    CallToolResponse, CallToolResult, CreateTaskResult, DetailedTask, ErrorData, JsonObject, Task,
    TaskPayload, TaskStatus,
};
use serde_json::Value;

use super::RiftServer;
use super::answer::finished_answer;
use crate::store::{ChangeRecord, ChangeState, now, rfc3339};

/// How often a client should poll a running change.
const POLL_INTERVAL_MS: u64 = 2_000;

/// A "running" answer to a mutating call, as the task the client follows instead; any other answer as it is.
pub(super) fn offer(response: CallToolResponse) -> CallToolResponse {
    let CallToolResponse::Complete(result) = &response else {
        return response;
    };
    let Some(answer) = result.structured_content.as_ref() else {
        return response;
    };
    let (Some("running"), Some(change_id)) = (
        answer.get("status").and_then(Value::as_str),
        answer.get("change_id").and_then(Value::as_str),
    ) else {
        return response;
    };
    let started = rfc3339(now());
    let message = answer.get("message").and_then(Value::as_str).unwrap_or("");
    let task = Task::new(change_id, TaskStatus::Working, started.clone(), started)
        .with_status_message(message)
        .with_poll_interval_ms(POLL_INTERVAL_MS);
    CallToolResponse::Task(CreateTaskResult::new(task))
}

impl RiftServer {
    /// `tasks/get`: the change as a task; once it ended, its result is the answer the call would have given.
    pub(super) fn task(&self, id: &str) -> Result<DetailedTask, ErrorData> {
        let record = self.change_of_task(id)?;
        let updated = record.finished_at.clone().unwrap_or_else(|| rfc3339(now()));
        let message = match record.state {
            ChangeState::Running if !record.progress.is_empty() => record.progress.clone(),
            _ => record.message.clone(),
        };
        let task = Task::new(
            &record.change_id,
            TaskStatus::Working,
            record.started_at.clone(),
            updated,
        )
        .with_status_message(message);
        let payload = match record.state {
            ChangeState::Running => {
                return Ok(DetailedTask::new(
                    task.with_poll_interval_ms(POLL_INTERVAL_MS),
                    TaskPayload::Working,
                ));
            }
            ChangeState::Cancelled => TaskPayload::Cancelled,
            // A change that ended, well or badly, completed as a tool call: a failure is its isError result.
            _ => TaskPayload::Completed {
                result: self.final_result(&record)?,
            },
        };
        Ok(DetailedTask::new(task, payload))
    }

    /// `tasks/cancel`: as cancel_change.
    pub(super) fn cancel_task(&self, id: &str) -> Result<(), ErrorData> {
        self.change_of_task(id)?;
        self.state
            .changes
            .cancel(id)
            .map(|_| ())
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))
    }

    fn change_of_task(&self, id: &str) -> Result<ChangeRecord, ErrorData> {
        // The task id is the change id, so the change's own error names it.
        self.state
            .changes
            .get(id)
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))
    }

    fn final_result(&self, record: &ChangeRecord) -> Result<JsonObject, ErrorData> {
        let cost_after = self
            .state
            .changes
            .projects()
            .resources(&record.project_id, None)
            .map(|resources| crate::project::monthly_cost(&resources))
            .unwrap_or_default();
        let result: CallToolResult =
            match finished_answer(record, cost_after).into_call_tool_result()? {
                CallToolResponse::Complete(result) => result,
                _ => {
                    return Err(ErrorData::internal_error(
                        "a change's answer is not a tool result",
                        None,
                    ));
                }
            };
        match serde_json::to_value(result) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(ErrorData::internal_error(
                "a change's answer could not be encoded",
                None,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::ContentBlock;

    use super::*;

    fn answer(status: &str) -> CallToolResponse {
        let mut result = CallToolResult::success(vec![ContentBlock::text("...")]);
        result.structured_content = Some(serde_json::json!({
            "status": status, "change_id": "chg-1", "message": "creating 3 resources"
        }));
        CallToolResponse::Complete(result)
    }

    #[test]
    fn only_a_running_change_becomes_a_task() {
        let CallToolResponse::Task(created) = offer(answer("running")) else {
            panic!("a running change is offered as a task");
        };
        assert_eq!(created.task.task_id, "chg-1");
        assert_eq!(created.task.status, TaskStatus::Working);
        assert_eq!(created.task.poll_interval_ms, Some(POLL_INTERVAL_MS));
        for status in ["preview", "executed", "partial", "unchanged"] {
            assert!(
                matches!(offer(answer(status)), CallToolResponse::Complete(_)),
                "{status}"
            );
        }
    }
}
