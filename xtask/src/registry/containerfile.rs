//! Reading Containerfiles: the `cairn/<name>` images they use, and pinning those
//! references to the exact images loaded for a build.

use std::collections::{BTreeMap, BTreeSet};

/// The `cairn/<name>` images a Containerfile names in `FROM` and `--from=`.
pub fn containerfile_images(text: &str) -> BTreeSet<String> {
    let mut images = BTreeSet::new();
    for line in logical_lines(text) {
        let mut words = line.split_whitespace();
        let Some(instruction) = words.next() else { continue };
        let references: Vec<&str> = if instruction.eq_ignore_ascii_case("FROM") {
            words.filter(|w| !w.starts_with("--")).take(1).collect()
        } else {
            words.filter_map(|w| w.strip_prefix("--from=")).collect()
        };
        for reference in references {
            if let Some(name) = reference.strip_prefix("cairn/") {
                let name = name.split([':', '@']).next().unwrap_or(name);
                images.insert(name.to_owned());
            }
        }
    }
    images
}

/// Containerfile lines with comments dropped and `\` continuations joined.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Rewrites `cairn/<dep>` references to the pinned image of each dependency.
pub fn pin_containerfile(text: &str, pins: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut rewritten = String::new();
        for (i, word) in line.split(' ').enumerate() {
            if i > 0 {
                rewritten.push(' ');
            }
            let (prefix, reference) = match word.strip_prefix("--from=") {
                Some(rest) => ("--from=", rest),
                None => ("", word),
            };
            let bare = reference.trim_end();
            let tail = &reference[bare.len()..];
            match bare.strip_prefix("cairn/").and_then(|name| pins.get(name)) {
                Some(pinned) => {
                    rewritten.push_str(prefix);
                    rewritten.push_str(pinned);
                    rewritten.push_str(tail);
                }
                None => rewritten.push_str(word),
            }
        }
        out.push_str(&rewritten);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_in_from_and_copy_from() {
        let text = "FROM cairn/musl AS musl\n# FROM cairn/commented\nFROM --platform=linux/amd64 cairn/bootstrap AS build\n\
                    COPY --from=musl / /musl/\nCOPY --from=cairn/linux-headers:1 /usr/include /usr/include\nRUN echo cairn/not-an-image\nFROM scratch\n";
        let images: Vec<String> = containerfile_images(text).into_iter().collect();
        assert_eq!(images, ["bootstrap", "linux-headers", "musl"]);
    }

    #[test]
    fn pins_only_cairn_references() {
        let pins: BTreeMap<String, String> = [("musl".to_owned(), "cairn/musl:pin-abc".to_owned())].into();
        let text = "FROM cairn/musl AS build\nCOPY --from=cairn/musl /lib /lib\nRUN echo cairn/musl2\n";
        assert_eq!(
            pin_containerfile(text, &pins),
            "FROM cairn/musl:pin-abc AS build\nCOPY --from=cairn/musl:pin-abc /lib /lib\nRUN echo cairn/musl2\n"
        );
    }
}
