//! The one policy for replaying reasoning across formats: a signature (or an encrypted or
//! redacted reasoning payload) is replayed only to the family that issued it. Sending another
//! family's signature is the top cause of upstream 400s in the reference project, so anything
//! foreign is dropped, never forwarded. Pure.

use crate::ir::{Family, Signature};

/// Gemini 3 rejects replayed `functionCall` parts that carry no `thoughtSignature`; this is
/// the documented value that tells it to skip validation for calls we cannot sign.
pub const GEMINI_SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// Whether `signature` may be sent to an upstream of `target`'s family.
pub fn replay(signature: &Signature, target: Family) -> bool {
    signature.origin == target
}

/// The signature to attach when sending to `target`, or `None` to drop it.
pub fn for_target(signature: Option<&Signature>, target: Family) -> Option<&str> {
    signature
        .filter(|s| replay(s, target))
        .map(|s| s.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_go_home_only() {
        let claude = Signature {
            origin: Family::Claude,
            value: "sig".into(),
        };
        assert!(replay(&claude, Family::Claude));
        assert!(!replay(&claude, Family::Gemini));
        assert_eq!(for_target(Some(&claude), Family::Claude), Some("sig"));
        assert_eq!(for_target(Some(&claude), Family::OpenAi), None);
        assert_eq!(for_target(None, Family::Claude), None);
    }
}
