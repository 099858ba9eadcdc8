//! Names of the AWS resources whose names are global per account or region (RDS instances, ElastiCache
//! clusters, load balancers and target groups, S3 buckets). One function names them both when rift creates them
//! and when it writes Terraform, so an exported configuration describes what rift created rather than a copy.

use sha2::{Digest, Sha256};

pub const RDS_IDENTIFIER_MAX: usize = 63;
pub const ELASTICACHE_ID_MAX: usize = 40;
pub const LOAD_BALANCER_NAME_MAX: usize = 32;
pub const S3_BUCKET_MAX: usize = 63;

/// A name unique per project that fits an AWS identifier of at most `max` characters (lowercase letters,
/// digits and single hyphens, starting with a letter): two projects with a "db" must not collide, and the same
/// project and name must always give the same identifier (that is what makes a retried create find the first
/// one).
pub fn aws_identifier(project: &str, name: &str, max: usize) -> String {
    let digest = Sha256::digest(project.as_bytes());
    let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    let room = max.saturating_sub(suffix.len() + 1);
    base.truncate(room);
    let base = base.trim_matches('-');
    let prefix = if base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        ""
    } else {
        "r"
    };
    let mut id = format!("{prefix}{base}-{suffix}");
    if id.len() > max {
        id = format!("r{suffix}");
    }
    id
}

/// The target group a load balancer forwards one port to.
pub fn target_group_name(project: &str, load_balancer: &str, port: u16) -> String {
    aws_identifier(
        project,
        &format!("{load_balancer}-tg-{port}"),
        LOAD_BALANCER_NAME_MAX,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_bounded_and_distinct() {
        let lb = aws_identifier(
            "shop",
            "shop-a-very-long-load-balancer-name",
            LOAD_BALANCER_NAME_MAX,
        );
        assert!(lb.len() <= LOAD_BALANCER_NAME_MAX, "{lb}");
        assert_eq!(
            lb,
            aws_identifier(
                "shop",
                "shop-a-very-long-load-balancer-name",
                LOAD_BALANCER_NAME_MAX
            )
        );
        let (tg80, tg443) = (
            target_group_name("shop", "shop-lb", 80),
            target_group_name("shop", "shop-lb", 443),
        );
        assert_ne!(tg80, tg443);
        assert!(
            tg80.len() <= LOAD_BALANCER_NAME_MAX && tg80.starts_with("shop-lb-tg-80-"),
            "{tg80}"
        );
        assert_ne!(
            aws_identifier("shop", "shop-db", RDS_IDENTIFIER_MAX),
            aws_identifier("blog", "shop-db", RDS_IDENTIFIER_MAX)
        );
    }
}
