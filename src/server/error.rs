//! The one error boundary of the tools: domain errors stay typed until they become the tool's `isError` result
//! here. Their messages already name the field (`components[1].engine`) and what would be valid.

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, ErrorData};

use crate::change::ChangeError;
use crate::migration::MigrationError;
use crate::operations::OperationsError;
use crate::planner::PlanError;
use crate::plans::PlansError;
use crate::pricing::PricingError;
use crate::pricing::refresh::RefreshError;
use crate::project::ProjectError;
use crate::store::StoreError;

/// A failed tool call, as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError(String);

impl ToolError {
    pub fn new(message: impl Into<String>) -> ToolError {
        ToolError(message.into())
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(self.0)]).into())
    }
}

macro_rules! from_domain {
    ($($error:ty),*) => {
        $(impl From<$error> for ToolError {
            fn from(e: $error) -> ToolError {
                ToolError(e.to_string())
            }
        })*
    };
}

from_domain!(
    ChangeError,
    ProjectError,
    MigrationError,
    OperationsError,
    PlanError,
    PlansError,
    PricingError,
    RefreshError,
    StoreError
);
