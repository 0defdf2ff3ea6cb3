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
    /// The image of a `FROM`, not a `COPY --from=`.
    from: bool,
}

/// What the instructions of a file name.
#[derive(Debug, Default)]
struct Scan {
    references: Vec<Reference>,
    /// Stage names (lowercase), in order; `None` for a stage without `AS`.
    stages: Vec<Option<String>>,
    /// For each `FROM`, where its last word ends in the text (`None` if a continuation
    /// split it): the place for an instruction to open its stage with.
    stage_starts: Vec<Option<usize>>,
}

/// A word of an instruction and its place in the text.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    /// Where it stands in the text; `None` if a continuation split it.
    span: Option<Range<usize>>,
}

/// One instruction: its keyword (uppercase), its words after the keyword, its first line.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    words: Vec<Word>,
    line: usize,
}

const DIRECTIVES: &[&str] = &["syntax", "escape", "check"];

/// The instructions a package may use; anything else (`ADD`, `ONBUILD`, `HEALTHCHECK`,
/// a misspelling) is refused rather than left to the engine to interpret.
const INSTRUCTIONS: &[&str] =
    &["FROM", "RUN", "COPY", "ENV", "WORKDIR", "ARG", "LABEL", "USER", "CMD", "ENTRYPOINT", "SHELL"];

/// Splits `text` into instructions as the engines do: comment and blank lines dropped
/// (inside a continuation too), a line ending in `\` (then only spaces or tabs) joined
/// to the next one with nothing between them, words split on spaces and tabs. Only
/// printable ASCII, tabs and line ends are accepted: engines split flags byte by byte and
/// strip a byte order mark, so anything else could read one way here and another there.
/// Parser directives are refused.
fn instructions(text: &str) -> Result<Vec<Instruction>, Refusal> {
    let mut out = Vec::new();
    // The logical line being joined, and for each of its bytes its offset in `text`.
    let mut joined = String::new();
    let mut offsets: Vec<usize> = Vec::new();
    let mut first_line = 0;
    let mut leading = true;
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line = index + 1;
        let start = offset;
        offset += raw.len();
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = body.strip_suffix('\r').unwrap_or(body);
        if let Some(bad) = body.bytes().find(|&b| b != b'\t' && !(0x20..0x7f).contains(&b)) {
            return Err(refuse(
                line,
                format!(
                    "holds the byte 0x{bad:02x}: a Containerfile here is printable ASCII, spaces and tabs (engines \
                     read other bytes differently); write it out in ASCII"
                ),
            ));
        }
        let trimmed = body.trim_start_matches([' ', '\t']);
        if let Some(comment) = trimmed.strip_prefix('#') {
            if leading && joined.is_empty() {
                if let Some((key, _)) = comment.split_once('=') {
                    let key = key.trim().to_ascii_lowercase();
                    if DIRECTIVES.contains(&key.as_str()) {
                        return Err(refuse(
                            line,
                            format!(
                                "`{}` is a parser directive: the engine would change how it reads this file \
                                 (`syntax` pulls a frontend image); remove it",
                                body.trim()
                            ),
                        ));
                    }
                }
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        leading = false;
        // The first line of an instruction starts at its first word; a continued line is
        // taken whole, as the engines take it.
        let (content, at) = if joined.is_empty() {
            first_line = line;
            (trimmed, start + (body.len() - trimmed.len()))
        } else {
            (body, start)
        };
        let kept = content.trim_end_matches([' ', '\t']);
        let (content, continues) = match kept.strip_suffix('\\') {
            Some(head) => (head, true),
            None => (content, false),
        };
        joined.push_str(content);
        offsets.extend(at..at + content.len());
        if !continues {
            out.push(split(&joined, &offsets, first_line)?);
            joined.clear();
            offsets.clear();
        }
    }
    if !joined.is_empty() {
        out.push(split(&joined, &offsets, first_line)?);
    }
    Ok(out)
}

/// One joined logical line as an instruction: its keyword checked, its words with their
/// spans in the original text (`None` for a word that a continuation split, which
/// cannot be pinned in place).
fn split(joined: &str, offsets: &[usize], line: usize) -> Result<Instruction, Refusal> {
    let mut words = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' || bytes[i] == b'\t' {
            i += 1;
            continue;
        }
        let begin = i;
        while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
            i += 1;
        }
        let contiguous = offsets[i - 1] - offsets[begin] == i - 1 - begin;
        let span = contiguous.then(|| offsets[begin]..offsets[i - 1] + 1);
        words.push(Word { text: joined[begin..i].to_owned(), span });
    }
    let mut words = words.into_iter();
    let keyword = words.next().map(|w| w.text.to_ascii_uppercase()).unwrap_or_default();
    if keyword == "ADD" {
        return Err(refuse(
            line,
            "ADD fetches URLs and unpacks archives at build time: declare the file as a source (file, sha256, \
             locations) in src/lib.rs and COPY it",
        ));
    }
    if !INSTRUCTIONS.contains(&keyword.as_str()) {
        return Err(refuse(
            line,
            format!("`{keyword}` is not an instruction a package may use (only {})", INSTRUCTIONS.join(", ")),
        ));
    }
    Ok(Instruction { keyword, words: words.collect(), line })
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
        let flags: Vec<&Word> = words.iter().take_while(|w| w.text.starts_with('-')).collect();
        match keyword.as_str() {
            "FROM" => {
                if let Some(flag) = flags.first() {
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
                    [r#as, name] if r#as.text.eq_ignore_ascii_case("AS") => {
                        if !is_stage_name(&name.text) {
                            return Err(refuse(
                                line,
                                format!(
                                    "`{shown}`: a stage is named with lowercase letters, digits, `.`, `_` and `-`, \
                                     starting with a letter"
                                ),
                            ));
                        }
                        Some(name.text.clone())
                    }
                    _ => return Err(refuse(line, format!("`{shown}`: expected `FROM IMAGE` or `FROM IMAGE AS NAME`"))),
                };
                scan.references.push(Reference {
                    line,
                    text: image.text.clone(),
                    span: spanned(image, line)?,
                    stage: scan.stages.len(),
                    from: true,
                });
                scan.stages.push(name);
                scan.stage_starts.push(words.last().and_then(|w| w.span.as_ref()).map(|span| span.end));
            }
            "COPY" => {
                for flag in &flags {
                    let (name, value) = flag.text.split_once('=').unwrap_or((&flag.text, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "--from" if flag.text.contains('=') => {
                            let whole = spanned(flag, line)?;
                            let span = whole.end - value.len()..whole.end;
                            scan.references.push(Reference { line, text: value.to_owned(), span, stage, from: false });
                        }
                        "--chown" | "--chmod" if flag.text.contains('=') => {}
                        _ => {
                            return Err(refuse(
                                line,
                                format!(
                                    "`{shown}`: {} is not allowed here (only --from=, --chown=, --chmod=)",
                                    flag.text
                                ),
                            ))
                        }
                    }
                }
            }
            "RUN" => {
                if let Some(flag) = flags.first() {
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

/// The span of a word that must be rewritten in place: one a continuation did not split.
fn spanned(word: &Word, line: usize) -> Result<Range<usize>, Refusal> {
    word.span.clone().ok_or_else(|| {
        refuse(line, format!("`{}` is split across lines by a continuation: write it on one line", word.text))
    })
}

/// A stage name as Docker accepts one, compared as written (Podman would match any
/// spelling, case included, against image names).
fn is_stage_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
}

/// `scratch`, or a stage defined before the one the reference is in: by name, or, for
/// `COPY --from` only, by number. A `FROM` may name the stages before it, a `COPY
/// --from` those before its own.
fn is_local(scan: &Scan, reference: &Reference) -> bool {
    let earlier = &scan.stages[..reference.stage.min(scan.stages.len())];
    reference.text == "scratch"
        || earlier.iter().any(|name| name.as_deref() == Some(reference.text.as_str()))
        || (!reference.from && reference.text.parse::<usize>().is_ok_and(|n| n < earlier.len()))
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

/// `text` with `LABEL <label>` opening every stage, so that every image a build makes
/// on the way (each step's, each stage's) carries it: how a later run finds what a
/// killed one left in the engine. Labels are metadata; the filesystem exported is the
/// same.
pub fn label_stages(text: &str, label: &str) -> Result<String, Refusal> {
    let found = scan(text)?;
    let mut out = String::with_capacity(text.len() + found.stage_starts.len() * (label.len() + 8));
    let mut copied = 0;
    for end in found.stage_starts.iter().flatten() {
        out.push_str(&text[copied..*end]);
        out.push_str("\nLABEL ");
        out.push_str(label);
        copied = *end;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str) -> Result<Vec<String>, Refusal> {
        containerfile_images(text).map(|set| set.into_iter().collect())
    }

    fn refused_saying(text: &str, says: &str) {
        let refusal = refused(text);
        assert!(refusal.to_string().contains(says), "{text:?}: {refusal}");
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
        let text = "from\tcairn/musl as build\r\nCOPY \\\n  --from=cairn/bootstrap \\\n# a comment\n\n  /bin /bin\nFROM scratch\nCOPY --from=build / /\n";
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
            ("FROM scratch AS a\nFROM 0\n", "`0` is not an image of this tree"),
        ] {
            refused_saying(text, says);
        }
        assert_eq!(refused("FROM scratch\n\nFROM alpine\n").line, 3);
    }

    #[test]
    fn what_an_engine_would_read_otherwise_is_refused() {
        for (text, says) in [
            // A continuation joins with nothing between: `FR` + `OM alpine` is FROM.
            ("FR\\\nOM alpine\n", "`alpine` is not an image"),
            ("FROM scratch\nCOPY --from=scratch\\\ny/evil / /\n", "split across lines"),
            ("FROM cairn/musl\nCOPY --from=cairn/musl\\\n@sha256:00 / /\n", "split across lines"),
            ("\\\nFROM alpine\n", "not an image of this tree"),
            // Bytes engines read otherwise: a byte order mark, a form feed before a
            // line end, a non-ASCII letter whose UTF-8 holds 0xa0.
            ("\u{feff}FROM alpine\n", "byte 0xef"),
            ("FROM cairn/musl\nRUN true \\\x0c\nFROM alpine\n", "byte 0x0c"),
            ("FROM scratch\nCOPY --chown=0\u{e0}--from=alpine / /\n", "byte 0xc3"),
            // Flags spelled otherwise.
            ("FROM scratch\nCOPY --FROM=alpine / /\n", "`alpine` is not an image"),
            ("FROM scratch\nCOPY --from alpine / /\n", "--from is not allowed"),
            ("FROM scratch\nCOPY -from=alpine / /\n", "-from=alpine is not allowed"),
            // Stage names Podman would match against image names.
            ("FROM cairn/musl AS Quay.io/evil/img\n", "a stage is named"),
            ("FROM scratch AS \"x\"\n", "a stage is named"),
        ] {
            refused_saying(text, says);
        }
    }

    #[test]
    fn add_run_flags_unknown_instructions_and_directives_are_refused() {
        for (text, says) in [
            ("FROM scratch\nADD https://example.org/x.tar.gz /src/\n", "declare the file as a source"),
            ("FROM scratch\nadd local.tar /src/\n", "declare the file as a source"),
            ("FROM cairn/musl\nRUN --network=host wget x\n", "RUN --network is refused"),
            ("FROM cairn/musl\nRUN --mount=type=bind,target=/h true\n", "RUN --mount is refused"),
            ("FROM cairn/musl\nRUN --security=insecure true\n", "RUN --security is refused"),
            ("FROM cairn/musl\nONBUILD RUN true\n", "`ONBUILD` is not an instruction"),
            ("FROM cairn/musl\nHEALTHCHECK CMD true\n", "`HEALTHCHECK` is not an instruction"),
            ("# syntax=docker/dockerfile:1\nFROM scratch\n", "parser directive"),
            ("#ESCAPE = `\nFROM scratch\n", "parser directive"),
        ] {
            refused_saying(text, says);
        }
        // A comment that only looks like a directive after the first instruction is one.
        assert_eq!(images("FROM scratch\n# syntax=x\nCOPY local.tar /src/\n").unwrap(), Vec::<String>::new());
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

    #[test]
    fn every_stage_opens_with_the_run_label() {
        let text = "FROM cairn/musl@sha256:ab AS build\nRUN make\n\nFROM scratch\nCOPY --from=build /out /\n";
        let labelled = label_stages(text, "dev.cairn.run=host-1").unwrap();
        assert_eq!(
            labelled,
            "FROM cairn/musl@sha256:ab AS build\nLABEL dev.cairn.run=host-1\nRUN make\n\nFROM scratch\nLABEL dev.cairn.run=host-1\nCOPY --from=build /out /\n"
        );
        assert_eq!(scan(&labelled).unwrap().references.len(), scan(text).unwrap().references.len());
    }
}
