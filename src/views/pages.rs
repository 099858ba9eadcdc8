//! The pages people see, assembled from the assets embedded in the binary (no CDN, nothing fetched): the
//! dashboard of `rift serve --http` and `rift ui`, and the MCP App views (project and provision form).

use std::sync::OnceLock;

const STYLE: &str = include_str!("../../assets/ui/style.css");
const SHARED: &str = include_str!("../../assets/ui/rift.js");
const BRIDGE: &str = include_str!("../../assets/ui/app.js");
const DASHBOARD: &str = include_str!("../../assets/ui/dashboard.html");
const PROJECT_APP: &str = include_str!("../../assets/ui/project-app.html");
const FORM_APP: &str = include_str!("../../assets/ui/form-app.html");

fn assemble(page: &str, scripts: &[&str]) -> String {
    page.replace("{{style}}", STYLE)
        .replace("{{script}}", &scripts.join("\n"))
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
}

/// The dashboard: projects, a project's resources by cloud, its diagram and history, and the provision form.
pub fn dashboard() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| assemble(DASHBOARD, &[SHARED]))
}

/// The MCP App view of `show_project`'s result.
pub fn project_app() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| assemble(PROJECT_APP, &[SHARED, BRIDGE]))
}

/// The MCP App view of the provision form (it calls `provision_form` through the host).
pub fn form_app() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| assemble(FORM_APP, &[SHARED, BRIDGE]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_whole_and_self_contained() {
        for page in [dashboard(), project_app(), form_app()] {
            assert!(page.starts_with("<!DOCTYPE html>"));
            assert!(!page.contains("{{"), "a placeholder was left");
            // Nothing from elsewhere: no external script, style, font or image.
            for external in ["src=\"http", "href=\"http", "@import", "url(http", "//cdn"] {
                assert!(!page.contains(external), "{external}");
            }
        }
        assert!(project_app().contains("ui/initialize") && form_app().contains("provision_form"));
        assert!(!dashboard().contains("ui/initialize"));
    }
}
