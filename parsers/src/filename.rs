//! Making a client's file name safe to use as one path segment.

/// The longest sanitised name, in bytes: the usual limit of one path segment (ext4, APFS, NTFS).
const MAX_LEN: usize = 255;

/// The longest extension kept whole when a long name is shortened (`.tar.gz` is two).
const MAX_EXTENSION: usize = 16;

/// A client-supplied file name made safe to use as a single path segment, or `None` when
/// nothing usable is left.
///
/// - any directory part is dropped, `/` and `\` alike (`../../etc/passwd` → `passwd`,
///   `C:\Users\me\a.txt` → `a.txt`), so no absolute path and no traversal survive;
/// - control characters and bidirectional-text overrides (which can disguise `exe` as `gpj`)
///   are removed; characters Windows refuses (`<>:"|?*`, `:` also naming drives and NTFS
///   streams) become `_`;
/// - runs of dots become one dot (so no `..`), leading dots and blanks and trailing dots and
///   blanks are trimmed (no hidden files such as `.htaccess`);
/// - a Windows device name (`CON`, `NUL.txt`, `com1`, …) gets a leading `_`;
/// - a name longer than 255 bytes is cut at a character boundary, keeping its extension.
///
/// Two uploads may still sanitise to the same name: choosing a free one is for the storage.
///
/// ```
/// use restframe_parsers::sanitize_filename;
/// assert_eq!(sanitize_filename("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(sanitize_filename(r"C:\Users\me\cover.png").as_deref(), Some("cover.png"));
/// assert_eq!(sanitize_filename(" .htaccess ").as_deref(), Some("htaccess"));
/// assert_eq!(sanitize_filename("café noir.mp3").as_deref(), Some("café noir.mp3"));
/// assert_eq!(sanitize_filename(".."), None);
/// assert_eq!(sanitize_filename("uploads/"), None);
/// let long = format!("{}.jpeg", "a".repeat(300));
/// let short = sanitize_filename(&long).unwrap();
/// assert_eq!(short.len(), 255);
/// assert!(short.ends_with("a.jpeg"));
/// ```
pub fn sanitize_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean = String::with_capacity(base.len());
    for c in base.chars() {
        if c.is_control() || is_bidi_control(c) {
            continue;
        }
        if c == '.' && clean.ends_with('.') {
            continue;
        }
        clean.push(if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
            '_'
        } else {
            c
        });
    }
    let trimmed = trim_ends(&clean);
    if trimmed.is_empty() {
        return None;
    }
    let mut name = if is_windows_device(trimmed) {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    };
    if name.len() > MAX_LEN {
        name = shorten(&name);
    }
    (!name.is_empty()).then_some(name)
}

/// Without leading dots and blanks, and without trailing ones (Windows drops trailing dots and
/// spaces, so `a.txt.` would name `a.txt`).
fn trim_ends(s: &str) -> &str {
    let edge = |c: char| c == '.' || c.is_whitespace();
    s.trim_start_matches(edge).trim_end_matches(edge)
}

/// Unicode's explicit bidirectional formatting characters (not "control" to `char`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether the part before the first dot is a name Windows reserves for a device.
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => matches!(
            upper
                .strip_prefix("COM")
                .or_else(|| upper.strip_prefix("LPT")),
            Some("1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9")
        ),
    }
}

/// Cuts `name` to [`MAX_LEN`] bytes at a character boundary, keeping a short extension.
fn shorten(name: &str) -> String {
    let ext = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION => &name[dot..],
        _ => "",
    };
    let stem = &name[..name.len() - ext.len()];
    let mut end = MAX_LEN - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = trim_ends(&stem[..end]);
    if stem.is_empty() {
        return String::new();
    }
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Option<String> {
        sanitize_filename(name)
    }

    #[test]
    fn directory_parts_are_dropped_whatever_the_separator() {
        assert_eq!(s("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            s(r"..\..\windows\system32\cmd.exe").as_deref(),
            Some("cmd.exe")
        );
        assert_eq!(s("/abs/path/track.mp3").as_deref(), Some("track.mp3"));
        assert_eq!(s(r"C:\Users\me\a.txt").as_deref(), Some("a.txt"));
        assert_eq!(s("a/b\\c/d.txt").as_deref(), Some("d.txt"));
        assert_eq!(s("dir/"), None);
        assert_eq!(s("dir\\"), None);
    }

    #[test]
    fn dots_cannot_climb_or_hide() {
        for name in ["..", ".", "...", "/..", "a/..", " .. ", ". .", ""] {
            assert_eq!(s(name), None, "{name:?}");
        }
        assert_eq!(s(".htaccess").as_deref(), Some("htaccess"));
        assert_eq!(s("..hidden..txt").as_deref(), Some("hidden.txt"));
        assert_eq!(s("report.pdf.").as_deref(), Some("report.pdf"));
        assert_eq!(s("a....b").as_deref(), Some("a.b"));
    }

    #[test]
    fn control_and_bidi_characters_are_removed_windows_ones_replaced() {
        assert_eq!(s("a\0b\r\n.txt").as_deref(), Some("ab.txt"));
        assert_eq!(s("evil\u{202E}gpj.exe").as_deref(), Some("evilgpj.exe"));
        assert_eq!(s("C:photo.jpg").as_deref(), Some("C_photo.jpg"));
        assert_eq!(s("what?.txt").as_deref(), Some("what_.txt"));
        assert_eq!(s("file.txt:stream").as_deref(), Some("file.txt_stream"));
        assert_eq!(s("\u{1}\u{7f}"), None);
    }

    #[test]
    fn blanks_are_trimmed_and_inner_ones_kept() {
        assert_eq!(s("  my track.mp3  ").as_deref(), Some("my track.mp3"));
        assert_eq!(s("   "), None);
        assert_eq!(s("naïve café.png").as_deref(), Some("naïve café.png"));
    }

    #[test]
    fn windows_device_names_are_prefixed() {
        assert_eq!(s("CON").as_deref(), Some("_CON"));
        assert_eq!(s("nul.txt").as_deref(), Some("_nul.txt"));
        assert_eq!(s("com1.tar.gz").as_deref(), Some("_com1.tar.gz"));
        assert_eq!(s("LPT9").as_deref(), Some("_LPT9"));
        assert_eq!(s("com0").as_deref(), Some("com0"));
        assert_eq!(s("console.log").as_deref(), Some("console.log"));
        assert_eq!(s("COM10").as_deref(), Some("COM10"));
        assert_eq!(s("éé").as_deref(), Some("éé"));
    }

    #[test]
    fn long_names_keep_their_extension_and_char_boundaries() {
        let long = format!("{}.flac", "é".repeat(200));
        let short = s(&long).unwrap();
        assert!(short.len() <= MAX_LEN, "{}", short.len());
        assert!(short.ends_with("é.flac"));
        // An extension too long to be one is cut like the rest.
        let no_ext = format!("a.{}", "b".repeat(300));
        assert_eq!(s(&no_ext).unwrap().len(), MAX_LEN);
        let exact = "x".repeat(MAX_LEN);
        assert_eq!(s(&exact).unwrap(), exact);
    }
}
