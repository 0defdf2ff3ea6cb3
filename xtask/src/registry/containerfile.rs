//! Reading Containerfiles: one parser of their instructions, used both to check what a
//! package may start from and to pin those images for a build.
//!
//! An image reference (`FROM`, `COPY --from=`) may be `scratch`, an earlier stage of the
//! same file, or a bare `cairn/<name>`: the image of a declared dependency, which the
//! build replaces by the exact image it loaded. Anything that would let the engine pick
//! bytes we did not pin is refused with its line and the fix: another image, a tag or a
//! digest on a `cairn/` reference, a build argument in a reference, `ADD` of a URL or a
//! git repository, `RUN --network`, `--mount` or `--security`, `ONBUILD`, and parser
//! directives (`# syntax=` would have BuildKit pull a frontend image). After pinning, the
//! text that goes to the engine is parsed again and must name only the pinned images.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Why a Containerfile is refused, at which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct Refusal {
    pub line: usize,
    pub what: String,
}

/// One image reference: where it stands in the text, and in which instruction.
#[derive(Debug, Clone)]
struct Reference {
    line: usize,
    text: String,
    span: Range<usize>,
    /// The number of the stage it appears in (0 for the first `FROM`).
    stage: usize,
}

/// What the instructions of a file name.
#[derive(Debug, Default)]
struct Scan {
    references: Vec<Reference>,
    /// Stage names (lowercase), in order; `None` for a stage without `AS`.
    stages: Vec<Option<String>>,
}

/// A word of an instruction and its place in the text.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    span: Range<usize>,
}

/// One instruction: its keyword (uppercase), its words after the keyword, its first line.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    words: Vec<Word>,
    line: usize,
}

const DIRECTIVES: &[&str] = &["syntax", "escape", "check"];

/// Splits `text` into instructions: comments dropped, `\` continuations joined, words
/// split on any whitespace. Parser directives are refused.
fn instructions(text: &str) -> Result<Vec<Instruction>, Refusal> {
    let mut out = Vec::new();
    let mut current: Option<Instruction> = None;
    let mut leading = true;
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line = index + 1;
        let start = offset;
        offset += raw.len();
        let body = raw.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            if leading {
                if let Some((key, _)) = comment.split_once('=') {
                    let key = key.trim().to_ascii_lowercase();
                    if DIRECTIVES.contains(&key.as_str()) {
                        return Err(Refusal {
                            line,
                            what: format!(
                                "`{}` is a parser directive: the engine would change how it reads this file \
                                 (`syntax` pulls a frontend image); remove it",
                                body.trim()
                            ),
                        });
                    }
                }
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        leading = false;
        let (content, continues) = match body.trim_end().strip_suffix('\\') {
            Some(head) => (head, true),
            None => (body, false),
        };
        let mut words: Vec<Word> = Vec::new();
        let mut rest = content;
        let mut at = start;
        while let Some(skip) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[skip..];
            at += skip;
            let length = rest.find(char::is_whitespace).unwrap_or(rest.len());
            words.push(Word { text: rest[..length].to_owned(), span: at..at + length });
            rest = &rest[length..];
            at += length;
        }
        match current.as_mut() {
            Some(instruction) => instruction.words.extend(words),
            None => {
                let mut words = words.into_iter();
                let keyword = words.next().map(|w| w.text.to_ascii_uppercase()).unwrap_or_default();
                current = Some(Instruction { keyword, words: words.collect(), line });
            }
        }
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current.take());
    Ok(out)
}

fn refuse(line: usize, what: impl Into<String>) -> Refusal {
    Refusal { line, what: what.into() }
}

/// Every image reference of `text`, and the refusals that do not depend on which images
/// are allowed.
fn scan(text: &str) -> Result<Scan, Refusal> {
    let mut scan = Scan::default();
    for instruction in instructions(text)? {
        let Instruction { keyword, words, line } = instruction;
        let shown = format!("{keyword} {}", words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "));
        let stage = scan.stages.len().saturating_sub(1);
        match keyword.as_str() {
            "FROM" => {
                if let Some(flag) = words.iter().find(|w| w.text.starts_with("--")) {
                    return Err(refuse(
                        line,
                        format!("`{shown}`: FROM takes no flags here ({}); remove it", flag.text),
                    ));
                }
                let Some(image) = words.first() else {
                    return Err(refuse(line, "FROM names no image"));
                };
                let name = match &words[1..] {
                    [] => None,
                    [r#as, name] if r#as.text.eq_ignore_ascii_case("AS") => Some(name.text.to_ascii_lowercase()),
                    _ => return Err(refuse(line, format!("`{shown}`: expected `FROM IMAGE` or `FROM IMAGE AS NAME`"))),
                };
                scan.references.push(Reference {
                    line,
                    text: image.text.clone(),
                    span: image.span.clone(),
                    stage: scan.stages.len(),
                });
                scan.stages.push(name);
            }
            "COPY" | "ADD" => {
                let flags: Vec<&Word> = words.iter().take_while(|w| w.text.starts_with("--")).collect();
                for flag in &flags {
                    let (name, value) = flag.text.split_once('=').unwrap_or((&flag.text, ""));
                    match name {
                        "--from" => {
                            let span = flag.span.end - value.len()..flag.span.end;
                            scan.references.push(Reference { line, text: value.to_owned(), span, stage });
                        }
                        "--chown" | "--chmod" => {}
                        _ => {
                            return Err(refuse(
                                line,
                                format!("`{shown}`: {name} is not allowed here (only --from, --chown, --chmod)"),
                            ))
                        }
                    }
                }
                let operands = &words[flags.len()..];
                if keyword == "ADD" {
                    let sources = &operands[..operands.len().saturating_sub(1)];
                    if let Some(remote) = sources.iter().find(|w| is_remote(&w.text)) {
                        return Err(refuse(
                            line,
                            format!(
                                "`{shown}`: ADD of {} fetches at build time what no hash pins; declare it as a source \
                                 (file, sha256, locations) in src/lib.rs and COPY it",
                                remote.text
                            ),
                        ));
                    }
                }
            }
            "RUN" => {
                if let Some(flag) = words.iter().take_while(|w| w.text.starts_with("--")).next() {
                    let name = flag.text.split('=').next().unwrap_or_default();
                    return Err(refuse(
                        line,
                        format!(
                            "`{shown}`: RUN {name} is refused: a build step gets no network, no mounts and no \
                             extra privileges; remove the flag"
                        ),
                    ));
                }
            }
            "ONBUILD" => {
                return Err(refuse(line, format!("`{shown}`: ONBUILD hides instructions in the image; write them out")))
            }
            _ => {}
        }
    }
    for reference in &scan.references {
        if reference.text.contains('$') {
            return Err(refuse(
                reference.line,
                format!(
                    "`{}`: a build argument in an image reference lets the build choose the image; name it \
                     literally",
                    reference.text
                ),
            ));
        }
    }
    Ok(scan)
}

/// A URL or a git repository, as `ADD` would fetch them.
fn is_remote(source: &str) -> bool {
    source.contains("://") || source.starts_with("git@") || source.ends_with(".git")
}

/// `scratch`, or a stage defined before the one the reference is in (by name, or by
/// number as `--from` takes it): a `FROM` may name the stages before it, a `COPY
/// --from` those before its own.
fn is_local(scan: &Scan, reference: &Reference) -> bool {
    let text = reference.text.to_ascii_lowercase();
    let earlier = &scan.stages[..reference.stage.min(scan.stages.len())];
    text == "scratch"
        || earlier.iter().any(|name| name.as_deref() == Some(text.as_str()))
        || text.parse::<usize>().is_ok_and(|n| n < earlier.len())
}

/// The `cairn/<name>` images a Containerfile starts from, checked: every reference is
/// `scratch`, an earlier stage, or a bare `cairn/<name>`.
pub fn containerfile_images(text: &str) -> Result<BTreeSet<String>, Refusal> {
    let scan = scan(text)?;
    let mut images = BTreeSet::new();
    for reference in &scan.references {
        if is_local(&scan, reference) {
            continue;
        }
        match reference.text.strip_prefix("cairn/") {
            Some(name) if crate::registry::valid_name(name) => {
                images.insert(name.to_owned());
            }
            Some(_) => {
                return Err(refuse(
                    reference.line,
                    format!(
                        "`{}`: a cairn/ image is named bare (cairn/<package>): the build pins it to the image it \
                         loaded; remove the tag or digest",
                        reference.text
                    ),
                ))
            }
            None => {
                return Err(refuse(
                    reference.line,
                    format!(
                        "`{}` is not an image of this tree: start from scratch, an earlier stage or \
                         cairn/<dependency>, and build what you need as a package",
                        reference.text
                    ),
                ))
            }
        }
    }
    Ok(images)
}

/// Rewrites each `cairn/<name>` reference to `pins[name]`, the exact image loaded for the
/// build, then reads the result again: every image it names must be `scratch`, an earlier
/// stage or one of the pins.
pub fn pin_containerfile(text: &str, pins: &BTreeMap<String, String>) -> Result<String, Refusal> {
    let found = scan(text)?;
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for reference in &found.references {
        if is_local(&found, reference) {
            continue;
        }
        let name = reference.text.strip_prefix("cairn/").unwrap_or_default();
        let pinned = pins.get(name).ok_or_else(|| {
            refuse(reference.line, format!("`{}` has no pinned image: it is not a loaded dependency", reference.text))
        })?;
        out.push_str(&text[copied..reference.span.start]);
        out.push_str(pinned);
        copied = reference.span.end;
    }
    out.push_str(&text[copied..]);
    let allowed: BTreeSet<&str> = pins.values().map(String::as_str).collect();
    let again = scan(&out)?;
    if let Some(unpinned) = again.references.iter().find(|r| !is_local(&again, r) && !allowed.contains(r.text.as_str()))
    {
        return Err(refuse(
            unpinned.line,
            format!("after pinning, `{}` is still not a pinned image; the build does not start", unpinned.text),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str) -> Result<Vec<String>, Refusal> {
        containerfile_images(text).map(|set| set.into_iter().collect())
    }

    fn refused(text: &str) -> Refusal {
        images(text).expect_err(text)
    }

    #[test]
    fn finds_images_in_from_and_copy_from() {
        let text = "FROM cairn/musl AS musl\n# FROM cairn/commented\nFROM cairn/bootstrap AS build\n\
                    COPY --from=musl / /musl/\nCOPY --from=cairn/linux-headers /usr/include /usr/include\n\
                    RUN echo cairn/not-an-image\nCOPY --from=0 /lib /lib\nFROM scratch\nCOPY --from=build / /\n";
        assert_eq!(images(text).unwrap(), ["bootstrap", "linux-headers", "musl"]);
    }

    #[test]
    fn tabs_case_and_continuations_are_read_as_the_engine_reads_them() {
        let text = "from\tcairn/musl as Build\nCOPY \\\n  --from=cairn/bootstrap \\\n  /bin /bin\nFROM scratch\nCOPY --from=build / /\n";
        assert_eq!(images(text).unwrap(), ["bootstrap", "musl"]);
    }

    #[test]
    fn only_scratch_stages_and_bare_cairn_images_are_allowed() {
        for (text, says) in [
            ("FROM alpine:3.19\n", "`alpine:3.19` is not an image of this tree"),
            ("FROM scratch\nCOPY --from=debian:12 / /\n", "`debian:12` is not an image of this tree"),
            ("FROM cairn/musl:1.2.3\n", "named bare"),
            ("FROM\tcairn/musl@sha256:0000\n", "remove the tag or digest"),
            ("FROM scratch\nCOPY --from=cairn/musl@sha256:00 / /\n", "remove the tag or digest"),
            ("ARG BASE=cairn/musl\nFROM $BASE\n", "build argument"),
            ("FROM cairn/${NAME}\n", "build argument"),
            ("FROM scratch\nCOPY --from=later / /\nFROM cairn/musl AS later\n", "`later` is not an image"),
            ("FROM --platform=linux/arm64 cairn/musl\n", "FROM takes no flags"),
        ] {
            let refusal = refused(text);
            assert!(refusal.to_string().contains(says), "{text:?}: {refusal}");
        }
        assert_eq!(refused("FROM scratch\n\nFROM alpine\n").line, 3);
    }

    #[test]
    fn remote_adds_run_flags_onbuild_and_directives_are_refused() {
        for (text, says) in [
            ("FROM scratch\nADD https://example.org/x.tar.gz /src/\n", "declare it as a source"),
            ("FROM scratch\nADD git@example.org:x/y.git /src/\n", "declare it as a source"),
            ("FROM scratch\nADD --checksum=sha256:00 x /src/\n", "--checksum is not allowed"),
            ("FROM cairn/musl\nRUN --network=host wget x\n", "RUN --network is refused"),
            ("FROM cairn/musl\nRUN --mount=type=bind,target=/h true\n", "RUN --mount is refused"),
            ("FROM cairn/musl\nRUN --security=insecure true\n", "RUN --security is refused"),
            ("FROM cairn/musl\nONBUILD RUN true\n", "ONBUILD"),
            ("# syntax=docker/dockerfile:1\nFROM scratch\n", "parser directive"),
            ("#ESCAPE = `\nFROM scratch\n", "parser directive"),
        ] {
            let refusal = refused(text);
            assert!(refusal.to_string().contains(says), "{text:?}: {refusal}");
        }
        // Local ADD and a comment that only looks like a directive after the first
        // instruction are what they seem.
        assert_eq!(images("FROM scratch\n# syntax=x\nADD local.tar /src/\n").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn pins_only_cairn_references_and_checks_the_result() {
        let pins: BTreeMap<String, String> = [("musl".to_owned(), "cairn/musl:pin-abc".to_owned())].into();
        let text = "FROM cairn/musl AS build\nCOPY --from=cairn/musl /lib /lib\nRUN echo cairn/musl2 cairn/musl\n";
        assert_eq!(
            pin_containerfile(text, &pins).unwrap(),
            "FROM cairn/musl:pin-abc AS build\nCOPY --from=cairn/musl:pin-abc /lib /lib\nRUN echo cairn/musl2 cairn/musl\n"
        );
        let tabbed = "FROM\tcairn/musl\n";
        assert_eq!(pin_containerfile(tabbed, &pins).unwrap(), "FROM\tcairn/musl:pin-abc\n");
        let missing = pin_containerfile("FROM cairn/zlib\n", &pins).unwrap_err();
        assert!(missing.to_string().contains("no pinned image"), "{missing}");
    }

    #[test]
    fn a_pin_that_is_not_one_of_the_loaded_images_fails() {
        // A pin map whose value would smuggle in another reference: the second reading
        // of the pinned text catches it.
        let pins: BTreeMap<String, String> = [("musl".to_owned(), "cairn/musl:x AS y\nFROM alpine".to_owned())].into();
        let refusal = pin_containerfile("FROM cairn/musl\n", &pins).unwrap_err();
        assert!(refusal.to_string().contains("after pinning"), "{refusal}");
    }
}
