//! Numbers: integer and decimal ranges with (exclusive) bounds and `multipleOf`.
//!
//! `multipleOf` is decided in decimal, as JSON Schema validators do: `0.07` is a multiple of
//! `0.01` although `0.07 / 0.01` is `7.000000000000001` in binary floating point. Generated
//! decimals are built from an integer and a power of ten (`7e-2`), so their shortest decimal
//! form is exactly the intended one.

use proptest::prelude::*;
use serde_json::{Number, Value};

use super::filter::{FuseExt, one_of};
use crate::model::NumberBounds;

/// Largest magnitude generated for unbounded numbers: beyond 2^53 integers stop being exact
/// in `f64`, and such values only make requests harder to read.
const UNBOUNDED: f64 = 9_007_199_254_740_991.0;

/// Half-width of the window of "small" values around the simplest admitted value.
const WINDOW: i128 = 100;

/// The shortest decimal form of a finite `x` as `(mantissa, decimals)`: `0.07` is `(7, 2)`,
/// `1500.0` is `(1500, 0)`. `None` when the mantissa does not fit an `i128` (about 1e38).
pub(crate) fn decimal_parts(x: f64) -> Option<(i128, u32)> {
    if !x.is_finite() {
        return None;
    }
    // `Display` of f64 is the shortest round-trip form and never uses an exponent.
    let text = format!("{x}");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac.trim_end_matches('0');
    let joined = format!("{int}{frac}");
    let mantissa: i128 = joined.parse().ok()?;
    let decimals = u32::try_from(frac.len()).ok()?;
    Some((if negative { -mantissa } else { mantissa }, decimals))
}

/// Whether `x` is an integer multiple of `m` (`m > 0`), in decimal.
pub(crate) fn is_multiple_of(x: f64, m: f64) -> bool {
    if m.is_nan() || m <= 0.0 || !x.is_finite() {
        return false;
    }
    if x == 0.0 {
        return true;
    }
    if let (Some((xm, xd)), Some((mm, md))) = (decimal_parts(x), decimal_parts(m)) {
        let shared = xd.min(md);
        let scale =
            |mantissa: i128, places: u32| mantissa.checked_mul(10_i128.checked_pow(places)?);
        if let (Some(a), Some(b)) = (scale(xm, md - shared), scale(mm, xd - shared))
            && b != 0
        {
            return a % b == 0;
        }
    }
    let q = x / m;
    q.is_finite() && (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

/// The JSON value of `mantissa × 10^-decimals`: an integer when `decimals` is 0, else the
/// nearest `f64` (whose shortest form is that decimal while it has at most 15 digits).
pub(crate) fn decimal_value(mantissa: i128, decimals: u32) -> Value {
    if decimals == 0 {
        if let Ok(n) = i64::try_from(mantissa) {
            return Value::from(n);
        }
        return Number::from_f64(mantissa as f64).map_or(Value::Null, Value::Number);
    }
    let x: f64 = format!("{mantissa}e-{decimals}").parse().unwrap_or(0.0);
    if x.fract() == 0.0 && x.abs() < UNBOUNDED {
        return Value::from(x as i64);
    }
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The combined numeric constraints of one value.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRange {
    /// Lower bound and whether it is exclusive.
    pub(crate) lo: Option<(f64, bool)>,
    /// Upper bound and whether it is exclusive.
    pub(crate) hi: Option<(f64, bool)>,
    /// Every `multipleOf` that applies.
    pub(crate) multiples: Vec<f64>,
}

impl NumberRange {
    /// Adds the bounds of one schema.
    pub(crate) fn add(&mut self, b: &NumberBounds) {
        if let Some(m) = b.minimum {
            self.raise(m, b.exclusive_minimum);
        }
        if let Some(m) = b.maximum {
            self.lower(m, b.exclusive_maximum);
        }
        if let Some(m) = b.multiple_of
            && m > 0.0
            && !self.multiples.contains(&m)
        {
            self.multiples.push(m);
        }
    }

    /// Raises the lower bound to `m` (if it is higher).
    pub(crate) fn raise(&mut self, m: f64, exclusive: bool) {
        self.lo = Some(match self.lo {
            Some((x, e)) if x > m || (x == m && e) => (x, e),
            _ => (m, exclusive),
        });
    }

    /// Lowers the upper bound to `m` (if it is lower).
    pub(crate) fn lower(&mut self, m: f64, exclusive: bool) {
        self.hi = Some(match self.hi {
            Some((x, e)) if x < m || (x == m && e) => (x, e),
            _ => (m, exclusive),
        });
    }

    /// Applies the range of an integer `format` (`int32`, `uint64`, ...).
    pub(crate) fn apply_format(&mut self, format: &str) {
        let (lo, hi): (f64, f64) = match format {
            "int8" => (-128.0, 127.0),
            "uint8" => (0.0, 255.0),
            "int16" => (-32_768.0, 32_767.0),
            "uint16" => (0.0, 65_535.0),
            "int32" => (-2_147_483_648.0, 2_147_483_647.0),
            "uint32" => (0.0, 4_294_967_295.0),
            "uint64" | "uint" => (0.0, UNBOUNDED),
            _ => return,
        };
        self.raise(lo, false);
        self.lower(hi, false);
    }

    fn describe(&self) -> String {
        let lo = self.lo.map_or("-inf".to_string(), |(x, e)| {
            format!("{}{x}", if e { "(" } else { "[" })
        });
        let hi = self.hi.map_or("+inf".to_string(), |(x, e)| {
            format!("{x}{}", if e { ")" } else { "]" })
        });
        if self.multiples.is_empty() {
            format!("{lo}, {hi}")
        } else {
            format!("{lo}, {hi} in steps of {:?}", self.multiples)
        }
    }

    /// Whether `x` satisfies every constraint.
    pub(crate) fn admits(&self, x: f64) -> bool {
        let above = self.lo.is_none_or(|(m, e)| if e { x > m } else { x >= m });
        let below = self.hi.is_none_or(|(m, e)| if e { x < m } else { x <= m });
        above && below && self.multiples.iter().all(|&m| is_multiple_of(x, m))
    }

    /// Integers admitted by the range, as a strategy; `Err` says why there are none.
    pub(crate) fn integers(&self) -> Result<SBoxedStrategy<Value>, String> {
        let mut step: i128 = 1;
        for &m in &self.multiples {
            let Some((mantissa, decimals)) = decimal_parts(m) else {
                return Err(format!("multipleOf {m} is out of range"));
            };
            // The smallest integer multiple of mantissa / 10^decimals.
            let pow = 10_i128.pow(decimals.min(30));
            let smallest = mantissa / gcd(mantissa, pow);
            step = lcm(step, smallest).ok_or_else(|| "multipleOf values too large".to_string())?;
        }
        let lo = match self.lo {
            Some((m, true)) => (m.floor() as i128).saturating_add(1),
            Some((m, false)) => m.ceil() as i128,
            None => -(UNBOUNDED as i128),
        };
        let hi = match self.hi {
            Some((m, true)) => (m.ceil() as i128).saturating_sub(1),
            Some((m, false)) => m.floor() as i128,
            None => UNBOUNDED as i128,
        };
        let lo = lo.max(i64::MIN as i128);
        let hi = hi.min(i64::MAX as i128);
        let kmin = div_ceil(lo, step);
        let kmax = div_floor(hi, step);
        if kmin > kmax {
            return Err(format!("no integer in {}", self.describe()));
        }
        Ok(self.range_strategy(kmin, kmax, move |k| Value::from((k * step) as i64)))
    }

    /// Numbers admitted by the range (integral ones first, then decimals), as a strategy.
    pub(crate) fn numbers(&self) -> Result<SBoxedStrategy<Value>, String> {
        if self.multiples.is_empty() {
            let mut alternatives: Vec<(u32, SBoxedStrategy<Value>)> = Vec::new();
            for (decimals, weight) in [(0u32, 3u32), (2, 2), (6, 1)] {
                if let Some(s) = self.scaled(1, decimals) {
                    alternatives.push((weight, s));
                }
                if !alternatives.is_empty() && decimals >= 2 {
                    break;
                }
            }
            if alternatives.is_empty() {
                // A very narrow open interval: its midpoint, if it fits.
                if let (Some((a, _)), Some((b, _))) = (self.lo, self.hi) {
                    let mid = a / 2.0 + b / 2.0;
                    if self.admits(mid)
                        && let Some(n) = Number::from_f64(mid)
                    {
                        return Ok(Just(Value::Number(n)).fused());
                    }
                }
                return Err(format!("no number in {}", self.describe()));
            }
            return Ok(one_of(alternatives));
        }
        // Decimal lcm of the multiples: each is mantissa / 10^decimals (at most 30 decimals,
        // so that every power of ten below fits an i128).
        let mut parts = Vec::new();
        for &m in &self.multiples {
            let part = decimal_parts(m).filter(|&(_, d)| d <= 30);
            parts.push(part.ok_or_else(|| format!("multipleOf {m} is out of range"))?);
        }
        let decimals = parts.iter().map(|p| p.1).max().unwrap_or(0);
        let mut step: i128 = 1;
        for (mantissa, d) in parts {
            let scaled = mantissa
                .checked_mul(10_i128.pow(decimals - d))
                .ok_or_else(|| "multipleOf values too large".to_string())?;
            step = lcm(step, scaled).ok_or_else(|| "multipleOf values too large".to_string())?;
        }
        self.scaled(step, decimals)
            .ok_or_else(|| format!("no number in {}", self.describe()))
    }

    /// Values `k × step × 10^-decimals` inside the range, or `None` when there are none.
    fn scaled(&self, step: i128, decimals: u32) -> Option<SBoxedStrategy<Value>> {
        let unit = step as f64 / 10f64.powi(decimals as i32);
        let lo = self.lo.map_or(-UNBOUNDED, |(m, _)| m.max(-UNBOUNDED));
        let hi = self.hi.map_or(UNBOUNDED, |(m, _)| m.min(UNBOUNDED));
        // Integers are exact as i64; decimals keep at most 15 significant digits, which an
        // f64 round-trips exactly (so the shortest form is the intended decimal).
        let limit = if decimals == 0 {
            1_i128 << 53
        } else {
            10_i128.pow(15) / step.max(1)
        };
        let mut kmin = ((lo / unit).ceil() as i128).clamp(-limit, limit);
        let mut kmax = ((hi / unit).floor() as i128).clamp(-limit, limit);
        // Float division may be off by one near the bounds: nudge until exact.
        let value = |k: i128| -> f64 {
            format!("{}e-{decimals}", k * step)
                .parse::<f64>()
                .unwrap_or(f64::NAN)
        };
        for _ in 0..4 {
            if kmin <= kmax && !self.admits(value(kmin)) {
                kmin += 1;
            }
            if kmin <= kmax && !self.admits(value(kmax)) {
                kmax -= 1;
            }
        }
        if kmin > kmax || !self.admits(value(kmin)) || !self.admits(value(kmax)) {
            return None;
        }
        Some(self.range_strategy(kmin, kmax, move |k| decimal_value(k * step, decimals)))
    }

    /// Integers `k` in `[kmin, kmax]` mapped through `to_value`: mostly a small window around
    /// the one closest to zero (so values shrink toward 0 or the nearest bound), sometimes the
    /// whole range, sometimes exactly a declared bound.
    fn range_strategy(
        &self,
        kmin: i128,
        kmax: i128,
        to_value: impl Fn(i128) -> Value + Clone + Send + Sync + 'static,
    ) -> SBoxedStrategy<Value> {
        let (kmin, kmax) = (kmin as i64, kmax as i64);
        let anchor = 0i64.clamp(kmin, kmax);
        let near_lo = anchor.saturating_sub(WINDOW as i64).max(kmin);
        let near_hi = anchor.saturating_add(WINDOW as i64).min(kmax);
        let f = to_value.clone();
        let mut alternatives: Vec<(u32, SBoxedStrategy<Value>)> = vec![(
            6,
            (near_lo..=near_hi)
                .prop_map(move |k| f(i128::from(k)))
                .fused(),
        )];
        if near_lo > kmin || near_hi < kmax {
            let f = to_value.clone();
            alternatives.push((2, (kmin..=kmax).prop_map(move |k| f(i128::from(k))).fused()));
        }
        if self.lo.is_some() {
            alternatives.push((1, Just(to_value(i128::from(kmin))).fused()));
        }
        if self.hi.is_some() {
            alternatives.push((1, Just(to_value(i128::from(kmax))).fused()));
        }
        one_of(alternatives)
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

fn lcm(a: i128, b: i128) -> Option<i128> {
    (a / gcd(a, b)).checked_mul(b.abs())
}

fn div_floor(a: i128, b: i128) -> i128 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn div_ceil(a: i128, b: i128) -> i128 {
    -div_floor(-a, b)
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    fn sample(s: &SBoxedStrategy<Value>, n: usize) -> Vec<Value> {
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| s.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn decimal_multiples_are_exact() {
        assert_eq!(decimal_parts(0.07), Some((7, 2)));
        assert_eq!(decimal_parts(-1500.0), Some((-1500, 0)));
        assert!(is_multiple_of(0.07, 0.01));
        assert!(is_multiple_of(19.99, 0.01));
        assert!(!is_multiple_of(0.075, 0.01));
        assert!(is_multiple_of(7.5, 2.5));
        assert!(!is_multiple_of(7.0, 2.5));
        assert!(is_multiple_of(0.0, 3.0));
    }

    #[test]
    fn integers_respect_exclusive_bounds_and_steps() {
        let mut r = NumberRange::default();
        r.add(&NumberBounds {
            minimum: Some(0.0),
            exclusive_minimum: true,
            maximum: Some(100.0),
            exclusive_maximum: true,
            multiple_of: Some(2.5),
        });
        let s = r.integers().unwrap();
        for v in sample(&s, 200) {
            let n = v.as_i64().unwrap();
            assert!(n > 0 && n < 100 && n % 5 == 0, "{n}");
        }
        let mut empty = NumberRange::default();
        empty.raise(3.0, true);
        empty.lower(4.0, true);
        assert!(empty.integers().unwrap_err().contains("no integer"));
    }

    #[test]
    fn numbers_respect_bounds_and_decimal_steps() {
        let mut r = NumberRange::default();
        r.add(&NumberBounds {
            minimum: Some(0.0),
            exclusive_minimum: true,
            maximum: Some(1.0),
            multiple_of: Some(0.01),
            ..Default::default()
        });
        let s = r.numbers().unwrap();
        for v in sample(&s, 200) {
            let x = v.as_f64().unwrap();
            assert!(r.admits(x), "{x}");
        }
        let mut narrow = NumberRange::default();
        narrow.raise(0.1, true);
        narrow.lower(0.1000001, true);
        for v in sample(&narrow.numbers().unwrap(), 20) {
            assert!(narrow.admits(v.as_f64().unwrap()), "{v}");
        }
        // Unbounded decimal steps stay exact (no digits beyond what an f64 holds).
        let mut quarters = NumberRange::default();
        quarters.multiples.push(0.25);
        for v in sample(&quarters.numbers().unwrap(), 2_000) {
            assert!(quarters.admits(v.as_f64().unwrap()), "{v}");
        }
    }

    #[test]
    fn extreme_bounds_and_steps_are_errors_not_panics() {
        let mut huge = NumberRange::default();
        huge.raise(1e300, true);
        assert!(huge.integers().unwrap_err().contains("no integer"));
        let mut tiny = NumberRange::default();
        tiny.lower(-1e300, true);
        assert!(tiny.integers().unwrap_err().contains("no integer"));
        let mut fine = NumberRange::default();
        fine.multiples.push(1e-40);
        assert!(fine.numbers().unwrap_err().contains("out of range"));
    }

    #[test]
    fn unbounded_values_shrink_toward_zero() {
        let s = NumberRange::default().integers().unwrap();
        let mut runner = TestRunner::deterministic();
        let mut tree = s.new_tree(&mut runner).unwrap();
        while tree.simplify() {}
        assert_eq!(tree.current(), Value::from(0));
    }
}
