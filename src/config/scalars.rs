//! Scalar config values with their own spelling rules: the listen port, byte
//! sizes such as `64MiB`, durations such as `1h30m`, and keyword enums with aliases.
//! Pure; no I/O.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// Reads a TCP port: a whole number 1-65535 (0 would mean "any port", never wanted here).
pub(super) fn port<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    struct PortVisitor;

    impl Visitor<'_> for PortVisitor {
        type Value = u16;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number 1-65535")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u16, E> {
            match u16::try_from(v) {
                Ok(port) if port != 0 => Ok(port),
                _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
            }
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u16, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
            }
        }
    }

    deserializer.deserialize_any(PortVisitor)
}

/// Reads a byte count: a whole number, or a string with a unit such as `64MiB`,
/// `512 KiB`, `10MB` (KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024).
pub(super) fn byte_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    struct SizeVisitor;

    impl Visitor<'_> for SizeVisitor {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a byte count such as 65536 or \"64KiB\"")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
            usize::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<usize, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
            parse_byte_size(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
        }
    }

    deserializer.deserialize_any(SizeVisitor)
}

/// `"64MiB"` → 67108864; `None` for anything that is not a whole number with a known unit.
pub(super) fn parse_byte_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return None,
    };
    usize::try_from(number.checked_mul(factor)?).ok()
}

/// Reads a duration: whole seconds (`3600`), or Go-style text such as `1h`, `90m`, `1h30m`,
/// `45s` or `500ms` (as CLIProxyAPI's `session-affinity-ttl` is written).
pub(super) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as 3600, \"1h\" or \"30m\"")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
        }
    }

    deserializer.deserialize_any(DurationVisitor)
}

/// `"1h30m"` → 5400 s; bare digits are seconds; `None` for an unknown unit or an empty text.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().map(Duration::from_secs);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        let number: u64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let part = match unit {
            "h" => Duration::from_secs(number.checked_mul(3600)?),
            "m" => Duration::from_secs(number.checked_mul(60)?),
            "s" => Duration::from_secs(number),
            "ms" => Duration::from_millis(number),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = tail;
    }
    Some(total)
}

/// Reads one of a fixed set of words (trimmed, case-insensitive); `table` maps every
/// accepted spelling, aliases included, to its value.
pub(super) fn keyword<'de, D, T>(
    deserializer: D,
    table: &'static [(&'static str, T)],
    expected: &'static str,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Copy + 'static,
{
    struct KeywordVisitor<T: 'static> {
        table: &'static [(&'static str, T)],
        expected: &'static str,
    }

    impl<T: Copy> Visitor<'_> for KeywordVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expected)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            let wanted = v.trim().to_ascii_lowercase();
            self.table
                .iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, value)| *value)
                .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
        }
    }

    deserializer.deserialize_str(KeywordVisitor { table, expected })
}

/// Implements `Deserialize` for a keyword enum from a spelling table, and
/// `Serialize` as the first spelling listed for each value.
macro_rules! keyword_enum {
    ($ty:ty, $expected:literal, [$(($name:literal, $value:expr)),* $(,)?]) => {
        impl $ty {
            const SPELLINGS: &'static [(&'static str, $ty)] = &[$(($name, $value)),*];

            /// The canonical name, as written in `config.example.yaml`.
            pub fn as_str(self) -> &'static str {
                Self::SPELLINGS
                    .iter()
                    .find(|(_, value)| *value == self)
                    .map_or("", |(name, _)| name)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::config::scalars::keyword(d, Self::SPELLINGS, $expected)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(super) use keyword_enum;
