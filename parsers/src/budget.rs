//! The memory budget of parsers that build a tree whose size is not tied to the body's.

use crate::ParseError;

/// How many bytes of memory a parsed tree may take per byte of body. A typical tree takes
/// roughly 10–20 times its text (each node is a value plus its heap data and map-entry
/// overhead); the worst honest case is a body of one-character values, about 36 times for a YAML
/// flow list `[1,1,…]` and about 75 times for a CSV of one-character cells. 128 accepts every
/// honest body up to the size limit, while a body that mostly expands (YAML aliases, CSV header
/// names copied into every row) is stopped at 128 times its size: at most about 320 MiB for the
/// default 2.5 MiB limit, instead of without bound.
const FACTOR: usize = 128;

/// A fixed allowance on top, so that small bodies may reuse a block a few times.
const ALLOWANCE: usize = 1 << 20;

/// The bytes a parser may still spend building one document: [`Budget::charge`] each
/// allocation's estimated size before making it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: usize,
}

impl Budget {
    /// The budget for a body of `body_len` bytes: `128 × body_len + 1 MiB`.
    pub(crate) fn for_body(body_len: usize) -> Self {
        Self::with_limit(body_len.saturating_mul(FACTOR).saturating_add(ALLOWANCE))
    }

    /// A budget of `limit` bytes.
    pub(crate) fn with_limit(limit: usize) -> Self {
        Self { limit, used: 0 }
    }

    /// Spends `bytes`; past the limit, a [`crate::ParseErrorKind::TooLarge`] error for
    /// `format` (and the budget stays spent).
    pub(crate) fn charge(&mut self, bytes: usize, format: &'static str) -> Result<(), ParseError> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(ParseError::too_expansive(format, self.limit));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseErrorKind;

    #[test]
    fn charges_up_to_the_limit_then_refuses() {
        let mut budget = Budget::for_body(10);
        assert!(budget.charge(1280 + 1_048_575, "CSV").is_ok());
        assert!(budget.charge(1, "CSV").is_ok());
        let err = budget.charge(1, "CSV").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        assert_eq!(
            err.message(),
            "CSV document expands past 1049856 bytes in memory"
        );
        // Saturating, never wrapping back under the limit.
        assert!(budget.charge(usize::MAX, "CSV").is_err());
        assert!(
            Budget::for_body(usize::MAX)
                .charge(usize::MAX, "CSV")
                .is_ok()
        );
    }
}
