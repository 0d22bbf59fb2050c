use serde_json::Value;

/// Checks that `value` nests no deeper than `limit` levels of lists and objects (a scalar is
/// depth 0, `[1]` depth 1). For parsers that build a tree before checking it.
///
/// ```
/// use restframe_parsers::check_depth;
/// let v = serde_json::json!({"a": [{"b": 1}]});
/// assert!(check_depth(&v, 3));
/// assert!(!check_depth(&v, 2));
/// ```
pub fn check_depth(value: &Value, limit: usize) -> bool {
    // Iterative, so an adversarial tree cannot overflow the stack here.
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth + 1 > limit {
            return false;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    true
}

/// Checks the nesting depth of a JSON text without parsing it: brackets outside strings.
/// Malformed text is left for the real parser to report.
#[cfg(feature = "json")]
pub(crate) fn json_depth_within(text: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "json")]
    fn json_scan_ignores_brackets_inside_strings() {
        assert!(json_depth_within(br#"{"a": "[[[[[\"[[["}"#, 1));
        assert!(!json_depth_within(b"[[[]]]", 2));
        assert!(json_depth_within(b"[[[]]]", 3));
    }

    #[test]
    fn deep_trees_are_measured_without_recursion() {
        let mut v = Value::Null;
        for _ in 0..100_000 {
            v = Value::Array(vec![v]);
        }
        assert!(!check_depth(&v, 64));
        // Dropping a deep serde_json::Value recurses; unwind it by hand.
        let mut v = v;
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }
}
