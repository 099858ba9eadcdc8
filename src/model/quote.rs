//! Quoting what a caller sent back to them in a message, without letting a huge value flood the reply.

/// Longest part of a value an error message repeats.
const QUOTED_CHARS: usize = 40;

/// `"value"` when it is short; its first characters and its length otherwise, so a 10 MB argument costs the
/// caller a few bytes of context, not 10 MB.
pub fn quote(value: &str) -> String {
    let chars = value.chars().count();
    if chars <= QUOTED_CHARS {
        format!("{value:?}")
    } else {
        let prefix: String = value.chars().take(QUOTED_CHARS).collect();
        format!("{prefix:?}… ({chars} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole_and_long_ones_by_prefix_and_length() {
        assert_eq!(quote("web"), "\"web\"");
        let long = "x".repeat(10 * 1024 * 1024);
        let quoted = quote(&long);
        assert!(quoted.len() < 80, "{quoted}");
        assert!(quoted.ends_with("… (10485760 characters)"), "{quoted}");
        // Cut on a character boundary, never inside one.
        assert!(quote(&"é".repeat(100)).starts_with("\"éé"));
    }
}
