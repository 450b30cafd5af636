//! A strict, allocation-free JSON reader for the stream decoders' fast paths. A stream event is
//! small and dense with keys, so serde's per-token machinery costs more than the bytes it
//! reads; the decoders read the common event shapes with this cursor instead and fall back to
//! serde_json for anything else.
//!
//! The contract that keeps the fast paths exact: every method returns `None` as soon as the
//! input is anything other than what it expects, and accepts nothing serde_json would reject.
//! Where serde_json has subtle rules, it gives up instead of imitating them: keys with escapes,
//! `\u` escapes of surrogates, numbers with a fraction or exponent and nesting deeper than
//! [`MAX_DEPTH`] all return `None`. A fast path that gets `None` parses the same text with
//! serde, which then gives the value or the precise error. Strings borrow from the input unless
//! they hold escapes.

use std::borrow::Cow;

/// Nesting the reader follows when skipping a value; deeper input falls back to serde.
pub const MAX_DEPTH: usize = 16;

/// A cursor over one JSON text.
#[derive(Debug)]
pub struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A reader at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        Scanner { src, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes().get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `b` (after whitespace).
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Consumes a literal (`true`, `null`...) at the cursor.
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes().get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// Whether the next value is `null`; consumes it if so.
    pub fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(true);
        }
        Some(false)
    }

    /// Reads an object, calling `field` with each key; `field` must consume the value (and
    /// returns `None` to give up). Keys with escapes give up.
    pub fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = match self.string()? {
                Cow::Borrowed(key) => key,
                Cow::Owned(_) => return None,
            };
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads an array, calling `item` for each element; `item` must consume it.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string, borrowed when it has no escapes.
    pub fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        let bytes = self.bytes();
        let end = find_special(bytes, start)?;
        match *bytes.get(end)? {
            b'"' => {
                self.pos = end + 1;
                self.src.get(start..end).map(Cow::Borrowed)
            }
            b'\\' => {
                self.pos = end;
                let mut owned = String::with_capacity(end - start + 16);
                owned.push_str(self.src.get(start..end)?);
                self.escaped_rest(&mut owned)?;
                Some(Cow::Owned(owned))
            }
            // A raw control character.
            _ => None,
        }
    }

    /// The rest of a string from a backslash on, unescaped into `out`.
    fn escaped_rest(&mut self, out: &mut String) -> Option<()> {
        loop {
            match *self.bytes().get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => {
                    let esc = *self.bytes().get(self.pos + 1)?;
                    self.pos += 2;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = self.src.get(self.pos..self.pos + 4)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.pos += 4;
                            // Surrogates (pairs or lone) are left to serde.
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                        }
                        _ => return None,
                    };
                    out.push(c);
                }
                b if b < 0x20 => return None,
                _ => {
                    let end = find_special(self.bytes(), self.pos)?;
                    out.push_str(self.src.get(self.pos..end)?);
                    self.pos = end;
                }
            }
        }
    }

    /// Skips a string, validating its escapes as [`Self::string`] would, without building it.
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let end = find_special(self.bytes(), self.pos)?;
            match *self.bytes().get(end)? {
                b'"' => {
                    self.pos = end + 1;
                    return Some(());
                }
                b'\\' => {
                    let esc = *self.bytes().get(end + 1)?;
                    self.pos = end + 2;
                    match esc {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.src.get(self.pos..self.pos + 4)?;
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            // Surrogates (pairs or lone) are left to serde, as in `string`.
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit())
                                || (0xD800..0xE000).contains(&code)
                            {
                                return None;
                            }
                            self.pos += 4;
                        }
                        _ => return None,
                    }
                }
                // A raw control character.
                _ => return None,
            }
        }
    }

    /// A string or `null`.
    pub fn opt_string(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null()? {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A non-negative integer that fits a `u64`, or `null`. Fractions and exponents give up.
    pub fn opt_u64(&mut self) -> Option<Option<u64>> {
        if self.null()? {
            return Some(None);
        }
        let digits = self.integer_digits()?;
        let mut n: u64 = 0;
        for b in digits.bytes() {
            n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        }
        Some(Some(n))
    }

    /// A non-negative integer that fits a `u32`, or `null`.
    pub fn opt_u32(&mut self) -> Option<Option<u32>> {
        match self.opt_u64()? {
            Some(n) => u32::try_from(n).ok().map(Some),
            None => Some(None),
        }
    }

    /// The digits of an integer at the cursor, without sign, fraction or exponent (`0` or no
    /// leading zero).
    fn integer_digits(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let rest = self.bytes().get(start..)?;
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 20 || (len > 1 && rest.first() == Some(&b'0')) {
            return None;
        }
        if matches!(rest.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.pos += len;
        self.src.get(start..start + len)
    }

    /// Skips any value, validating it. Numbers must be integers: a typed reader that skips a
    /// field must not accept what serde would refuse for that field's type.
    pub fn skip(&mut self) -> Option<()> {
        self.skip_at(0, false)
    }

    fn skip_at(&mut self, depth: usize, fractions: bool) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|s, _| s.skip_at(depth + 1, fractions)),
            b'[' => self.array(|s| s.skip_at(depth + 1, fractions)),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' => {
                self.pos += 1;
                if !self.bytes().get(self.pos)?.is_ascii_digit() {
                    return None;
                }
                self.skip_number(fractions)
            }
            _ => self.skip_number(fractions),
        }
    }

    /// Skips a number: an integer as [`Self::integer_digits`] reads it, then a fraction when
    /// `fractions` allows one. Exponents give up (serde_json rejects values beyond `f64`'s
    /// range, and imitating that is not worth it); without one, 20 integer digits always fit.
    fn skip_number(&mut self, fractions: bool) -> Option<()> {
        let start = self.pos;
        let rest = self.bytes().get(start..)?;
        let int = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if int == 0 || int > 20 || (int > 1 && rest.first() == Some(&b'0')) {
            return None;
        }
        let mut len = int;
        if fractions && rest.get(len) == Some(&b'.') {
            let frac = rest
                .get(len + 1..)?
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if frac == 0 {
                return None;
            }
            len += 1 + frac;
        }
        if matches!(rest.get(len), Some(b'e' | b'E')) {
            return None;
        }
        self.pos += len;
        Some(())
    }

    /// Skips any valid JSON value (fractions included) and returns its text.
    pub fn skip_raw(&mut self) -> Option<&'a str> {
        self.peek()?;
        let start = self.pos;
        self.skip_at(0, true)?;
        self.src.get(start..self.pos)
    }

    /// Succeeds when only whitespace is left.
    pub fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }
}

/// The position of the first `"`, `\\` or control character at or after `from`: what ends
/// the plain run of a string. Eight bytes at a time (the classic has-zero-byte tricks; the
/// lowest flagged byte is always a real match), then byte by byte.
fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().ok()?);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flagged = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let flagged = flagged & HIGH;
        if flagged != 0 {
            return Some(i + (flagged.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let tail = bytes.get(i..)?;
    let at = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(i + at)
}

/// Reads `data` into `into` with the fast path `fast`, or with serde_json when it gives up;
/// `into` must be fresh (all defaults), since `fast` fills it in place. On error `into` is
/// unspecified.
///
/// # Errors
/// serde_json's, when `data` is not a `T`.
pub fn read_or_serde<'a, T: serde::Deserialize<'a>>(
    data: &'a str,
    into: &mut T,
    fast: impl FnOnce(&'a str, &mut T) -> Option<()>,
) -> Result<(), serde_json::Error> {
    if fast(data, into).is_none() {
        *into = serde_json::from_str(data)?;
    }
    Ok(())
}

/// Test support: whether `fast` takes `data`, after checking that what it reads then is what
/// serde reads (compared through `Debug`, which shows borrowed and owned strings alike).
#[cfg(test)]
pub fn fast_path_agrees<'a, T>(
    data: &'a str,
    fast: impl FnOnce(&'a str, &mut T) -> Option<()>,
) -> bool
where
    T: serde::Deserialize<'a> + Default + std::fmt::Debug,
{
    let mut read = T::default();
    let taken = fast(data, &mut read).is_some();
    if taken {
        let serde = serde_json::from_str::<T>(data)
            .unwrap_or_else(|e| panic!("the fast path took what serde rejects: {data}: {e}"));
        assert_eq!(format!("{read:?}"), format!("{serde:?}"), "{data}");
    }
    taken
}

/// Marks `key` seen in `seen` (a bit per known key); `None` if it was already, since serde
/// rejects a struct field given twice.
pub fn once(seen: &mut u32, bit: u32) -> Option<()> {
    let mask = 1u32.checked_shl(bit)?;
    if *seen & mask != 0 {
        return None;
    }
    *seen |= mask;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Skips a whole text the way a fast path would.
    fn skip_all(text: &str) -> Option<()> {
        let mut s = Scanner::new(text);
        s.skip()?;
        s.end()
    }

    fn skip_raw_all(text: &str) -> Option<&str> {
        let mut s = Scanner::new(text);
        let raw = s.skip_raw()?;
        s.end().map(|()| raw)
    }

    #[test]
    fn raw_skips_take_fractions_but_not_exponents() {
        for text in [
            "1.5",
            "-0.25",
            "[0.5,{\"t\":10.125}]",
            r#""a\n\"b\u00e9\\""#,
        ] {
            assert_eq!(skip_raw_all(text), Some(text), "{text}");
        }
        for text in ["1.", "1.e3", "1.5e3", "1E3", ".5", "01.5", "1.5.5"] {
            assert_eq!(skip_raw_all(text), None, "{text}");
        }
    }

    #[test]
    fn strings_borrow_plain_text_and_unescape_the_rest() {
        let mut s = Scanner::new(r#" "plain" "a\"b\\c\/\n\u00e9\u0041x" "#);
        assert!(matches!(s.string(), Some(Cow::Borrowed("plain"))));
        assert_eq!(s.string().as_deref(), Some("a\"b\\c/\né\u{41}x"));
        assert_eq!(s.end(), Some(()));
    }

    #[test]
    fn gives_up_where_serde_has_subtle_rules() {
        for text in [
            r#""\ud83d\ude00""#,
            r#""\ud800""#,
            r#""\x""#,
            "\"a\u{1}b\"",
            "1.5",
            "1e3",
            "01",
            "-",
            "999999999999999999999",
            r#"{"a\u0062":1}"#,
            "[1,]",
            "{\"a\":1,}",
            "tru",
            "[".repeat(40).as_str(),
        ] {
            assert_eq!(skip_all(text), None, "{text}");
        }
        for text in [
            r#"{"a":[1,-2,true,false,null,{"b":"c"}],"d":{}}"#,
            "[]",
            " 0 ",
            r#""\u0000""#,
        ] {
            assert_eq!(skip_all(text), Some(()), "{text}");
        }
    }

    #[test]
    fn special_bytes_are_found_at_every_offset() {
        for len in 0..24 {
            for special in [b'"', b'\\', b'\n', 0x1f, 0] {
                let mut bytes = vec![b'a'; len];
                bytes.extend_from_slice("é\x7f".as_bytes());
                let at = bytes.len();
                bytes.push(special);
                bytes.extend_from_slice(b"\"\\x");
                assert_eq!(find_special(&bytes, 0), Some(at), "{len} {special}");
            }
            assert_eq!(find_special(&vec![b' '; len], 0), None);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(
            Scanner::new("18446744073709551615").opt_u64(),
            Some(Some(u64::MAX))
        );
        assert_eq!(Scanner::new("18446744073709551616").opt_u64(), None);
        assert_eq!(Scanner::new("4294967296").opt_u32(), None);
        assert_eq!(Scanner::new("null").opt_u32(), Some(None));
        assert_eq!(Scanner::new("-1").opt_u64(), None);
    }

    #[test]
    fn duplicate_keys_are_caught() {
        let mut seen = 0;
        assert_eq!(once(&mut seen, 3), Some(()));
        assert_eq!(once(&mut seen, 4), Some(()));
        assert_eq!(once(&mut seen, 3), None);
    }

    proptest! {
        /// Whatever the reader accepts, serde_json accepts too, and strings read the same.
        #[test]
        fn accepts_nothing_serde_rejects(text in r#"[\[\]{}",:0-9a-z\\ \-.uE]{0,24}"#) {
            if skip_all(&text).is_some() || skip_raw_all(&text).is_some() {
                prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(), "{text}");
            }
            let mut s = Scanner::new(&text);
            if let (Some(v), Some(())) = (s.string(), s.end()) {
                let serde = serde_json::from_str::<String>(&text).ok();
                prop_assert_eq!(serde.as_deref(), Some(&*v));
            }
        }

        #[test]
        fn json_strings_round_trip(value in "\\PC{0,40}") {
            let text = serde_json::to_string(&value).unwrap();
            let mut s = Scanner::new(&text);
            let read = s.string();
            prop_assert_eq!(read.as_deref(), Some(value.as_str()));
        }
    }
}
