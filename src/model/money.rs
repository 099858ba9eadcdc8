//! Money and quantities as integers, so every sum is exact and the same on every machine: dollars in millionths
//! (every catalog price has at most six decimals) and quantities in thousandths.

use std::fmt;
use std::ops::{Add, AddAssign};

/// US dollars in millionths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

/// A quantity (GB, nodes, LCUs) in thousandths, so usage such as 1.5 LCU stays exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Qty(pub i64);

const MICROS_PER_DOLLAR: f64 = 1_000_000.0;
const MILLI: i64 = 1_000;
/// Largest amount accepted from a data file or a user: far above any real bill, far below overflow.
const MAX_DOLLARS: f64 = 1.0e9;
const MAX_QTY: f64 = 1.0e9;

impl Micros {
    pub const ZERO: Micros = Micros(0);

    /// The nearest millionth of `dollars`; None when not a finite, reasonable amount.
    pub fn from_dollars(dollars: f64) -> Option<Micros> {
        if !dollars.is_finite() || dollars.abs() > MAX_DOLLARS {
            return None;
        }
        Some(Micros((dollars * MICROS_PER_DOLLAR).round() as i64))
    }

    pub fn dollars(self) -> f64 {
        self.0 as f64 / MICROS_PER_DOLLAR
    }

    /// Rounded to the cent, half away from zero (what a bill shows).
    pub fn round_to_cents(self) -> Micros {
        Micros(div_round(i128::from(self.0), 10_000) as i64 * 10_000)
    }

    /// `self × qty × numerator / denominator`, rounded once to the nearest millionth.
    pub fn times(self, qty: Qty, numerator: i64, denominator: i64) -> Micros {
        let exact = i128::from(self.0) * i128::from(qty.0) * i128::from(numerator);
        Micros(div_round(exact, i128::from(MILLI) * i128::from(denominator.max(1))) as i64)
    }

    /// `self × percent / 100`, for prices quoted as a share of another (droplet backups).
    pub fn percent(self, percent: Micros) -> Micros {
        Micros(div_round(i128::from(self.0) * i128::from(percent.0), 100 * 1_000_000) as i64)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl Add for Micros {
    type Output = Micros;
    fn add(self, other: Micros) -> Micros {
        Micros(self.0.saturating_add(other.0))
    }
}

impl std::ops::Sub for Micros {
    type Output = Micros;
    fn sub(self, other: Micros) -> Micros {
        Micros(self.0.saturating_sub(other.0))
    }
}

impl AddAssign for Micros {
    fn add_assign(&mut self, other: Micros) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Micros {
    fn sum<I: Iterator<Item = Micros>>(iter: I) -> Micros {
        iter.fold(Micros::ZERO, |a, b| a + b)
    }
}

/// "$1,234.56" — what the tables for people show.
impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = div_round(i128::from(self.0), 10_000);
        let sign = if cents < 0 { "-" } else { "" };
        let cents = cents.unsigned_abs();
        let whole = (cents / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}${grouped}.{:02}", cents % 100)
    }
}

impl Qty {
    pub const ZERO: Qty = Qty(0);

    pub fn whole(n: u64) -> Qty {
        Qty(i64::try_from(n)
            .unwrap_or(i64::MAX / MILLI)
            .saturating_mul(MILLI))
    }

    /// The nearest thousandth of `value`; None when negative, not finite or absurdly large.
    pub fn from_f64(value: f64) -> Option<Qty> {
        if !value.is_finite() || !(0.0..=MAX_QTY).contains(&value) {
            return None;
        }
        Some(Qty((value * MILLI as f64).round() as i64))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MILLI as f64
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn saturating_sub(self, other: Qty) -> Qty {
        Qty((self.0 - other.0).max(0))
    }

    pub fn min(self, other: Qty) -> Qty {
        Qty(self.0.min(other.0))
    }

    /// `self × n / d`, rounded to the nearest thousandth (an even share of a usage figure).
    pub fn share(self, n: u64, d: u64) -> Qty {
        if d == 0 {
            return Qty::ZERO;
        }
        Qty(div_round(i128::from(self.0) * i128::from(n), i128::from(d)) as i64)
    }
}

impl Add for Qty {
    type Output = Qty;
    fn add(self, other: Qty) -> Qty {
        Qty(self.0.saturating_add(other.0))
    }
}

impl AddAssign for Qty {
    fn add_assign(&mut self, other: Qty) {
        *self = *self + other;
    }
}

/// Integer division rounding half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        q + if (n < 0) ^ (d < 0) { -1 } else { 1 }
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_prices_times_730_round_to_the_cent_like_the_aws_calculator() {
        let t3_medium = Micros::from_dollars(0.0416).unwrap();
        let monthly = t3_medium.times(Qty::whole(1), 730, 1);
        assert_eq!(monthly, Micros(30_368_000));
        assert_eq!(monthly.round_to_cents(), Micros(30_370_000));
        assert_eq!(monthly.to_string(), "$30.37");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(Micros(5_000).round_to_cents(), Micros(10_000));
        assert_eq!(Micros(4_999).round_to_cents(), Micros(0));
        assert_eq!(Micros(-5_000).round_to_cents(), Micros(-10_000));
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Micros(1_234_567_890).to_string(), "$1,234.57");
        assert_eq!(Micros(0).to_string(), "$0.00");
    }

    #[test]
    fn quantities_reject_negative_and_non_finite_values() {
        assert_eq!(Qty::from_f64(1.5), Some(Qty(1_500)));
        assert_eq!(Qty::from_f64(-0.1), None);
        assert_eq!(Qty::from_f64(f64::NAN), None);
        assert_eq!(Qty::from_f64(f64::INFINITY), None);
    }

    #[test]
    fn percent_of_a_price() {
        let droplet = Micros::from_dollars(24.0).unwrap();
        let weekly = Micros::from_dollars(20.0).unwrap();
        assert_eq!(droplet.percent(weekly), Micros(4_800_000));
    }
}
