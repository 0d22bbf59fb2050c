//! HTML escaping shared by the HTML renderers.

use minijinja::value::Value;
use minijinja::{AutoEscape, Output, State};

/// Escapes `&`, `<`, `>`, `"` and `'`: enough for text and quoted attributes.
///
/// Unlike MiniJinja's default it leaves `/` alone, so URLs read as written
/// (`href="/tracks/?format=json"`, not `&#x2f;tracks&#x2f;…`); `/` is harmless there.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The template formatter of both HTML renderers: MiniJinja's, with strings escaped by
/// [`html_escape`] where it would HTML-escape them.
pub(crate) fn format_value(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if !value.is_safe()
        && matches!(state.auto_escape(), AutoEscape::Html)
        && let Some(text) = value.as_str()
    {
        return Ok(out.write_str(&html_escape(text))?);
    }
    minijinja::escape_formatter(out, state, value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn escapes_markup_and_quotes_but_not_slashes() {
        assert_eq!(
            html_escape(r#"<a href="/x?a=1&b='2'">"#),
            "&lt;a href=&quot;/x?a=1&amp;b=&#x27;2&#x27;&quot;&gt;"
        );
    }

    #[test]
    fn the_formatter_escapes_values_in_html_templates_only_and_keeps_safe_strings() {
        let mut env = minijinja::Environment::new();
        env.set_formatter(format_value);
        env.add_template("t.html", "{{ s }}{{ safe }}{{ n }}{{ list }}")
            .unwrap();
        env.add_template("t.txt", "{{ s }}").unwrap();
        let ctx = minijinja::context! {
            s => "</a>", safe => Value::from_safe_string("<b>".into()), n => 3, list => vec!["<"],
        };
        assert_eq!(
            env.get_template("t.html").unwrap().render(&ctx).unwrap(),
            "&lt;/a&gt;<b>3[&#x27;&lt;&#x27;]"
        );
        assert_eq!(
            env.get_template("t.txt").unwrap().render(&ctx).unwrap(),
            "</a>"
        );
    }
}
