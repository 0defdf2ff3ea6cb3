//! What the ELF files of a layer load, and what a set of layers provides.
//!
//! [`scan`] reads a layer once and keeps what the dynamic loader will look for: each
//! dynamically linked file's interpreter, `DT_NEEDED` libraries and `DT_RPATH`/`DT_RUNPATH`
//! (with `$ORIGIN` expanded), the files whose names hold `.so`, every symbolic link, and
//! the directories `/etc/ld-musl-*.path` and `/etc/ld.so.conf{,.d/*.conf}` list.
//! [`missing`] then answers, for the files of one layer stacked with others, which
//! library (or interpreter) no layer provides where the loader would look.
//!
//! A program whose interpreter is musl's is searched for as musl does: its rpath, then
//! the directories of the topmost `/etc/ld-musl-*.path`, or `/lib`, `/usr/local/lib` and
//! `/usr/lib` when there is none. Another program as glibc does: rpath, `/etc/ld.so.conf`
//! and its `.d/`, `/lib`, `/usr/lib`, `/lib64`, `/usr/lib64`. A shared library does not
//! say which loader will load it, so its own needs are searched in both. Links are
//! followed across layers. A library found could still be shadowed by another of the
//! same name earlier in the search, which no static check rules out.
//!
//! Files under a directory named `testdata` inside a Go root's `src/` (a directory whose
//! `src/go.mod` the layer holds) are data, never loaded: Go's source tree ships ELF files
//! built elsewhere (for glibc, for other machines) there for its tests of debug/elf and
//! the linker, and the go command ignores such directories too. A `testdata` anywhere
//! else is checked like any other directory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Bumped when [`scan`] keeps something new, so cached results are scanned again.
pub const FORMAT: u32 = 4;

/// Where musl's loader looks when no path file says otherwise.
const MUSL_DIRS: &[&str] = &["lib", "usr/local/lib", "usr/lib"];
/// Where glibc's loader looks beyond its configuration, on x86_64.
const GLIBC_DIRS: &[&str] = &["lib", "usr/lib", "lib64", "usr/lib64"];

/// What one layer's ELF files need and what it provides, paths relative to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linkage {
    pub format: u32,
    /// Each dynamically linked file, by path.
    pub programs: BTreeMap<String, Needs>,
    /// Regular files (and hard links) whose names hold `.so`, and every interpreter a
    /// program here names that is a file here.
    pub libraries: BTreeSet<String>,
    /// Every symbolic link: path -> target as written.
    pub links: BTreeMap<String, String>,
    /// The directories of this layer's `/etc/ld-musl-*.path`, which replace musl's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub musl_path: Option<Vec<String>>,
    /// The directories of this layer's `/etc/ld.so.conf` and `/etc/ld.so.conf.d/*.conf`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ld_so_conf: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needs {
    /// `PT_INTERP`, as written (`/lib/ld-musl-x86_64.so.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// `DT_NEEDED`, in order.
    pub libraries: Vec<String>,
    /// `DT_RPATH` and `DT_RUNPATH` entries, `$ORIGIN` replaced by the file's directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rpath: Vec<String>,
}

/// One thing a program needs that no layer provides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// The program or library, `/usr/bin/curl`.
    pub file: String,
    /// The library as `DT_NEEDED` names it, or the interpreter's path.
    pub library: String,
    pub interpreter: bool,
}

/// Reads a (canonical or any) layer tar.
pub fn scan(layer: impl Read) -> Result<Linkage> {
    let mut linkage = Linkage { format: FORMAT, ..Linkage::default() };
    let mut configs: Vec<(String, String)> = Vec::new();
    let mut files: BTreeSet<String> = BTreeSet::new();
    let mut archive = tar::Archive::new(layer);
    for entry in archive.entries().context("reading a layer")? {
        let mut entry = entry.context("reading a layer")?;
        let raw = entry.path().context("an entry with an unreadable path")?.to_string_lossy().into_owned();
        let path = super::normalize::clean(&raw)?;
        let named_so = file_name(&path).contains(".so");
        match entry.header().entry_type() {
            tar::EntryType::Symlink => {
                let target = entry.link_name()?.map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
                linkage.links.insert(path, target);
            }
            tar::EntryType::Link if named_so => {
                linkage.libraries.insert(path);
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                files.insert(path.clone());
                let mut head = [0u8; 4];
                let size = entry.size();
                if is_loader_config(&path) {
                    let mut text = String::new();
                    entry.read_to_string(&mut text).with_context(|| format!("reading {path}"))?;
                    configs.push((path.clone(), text));
                } else if size >= 64 && entry.read_exact(&mut head).is_ok() && head == *b"\x7fELF" {
                    let mut data = Vec::with_capacity(size as usize);
                    data.extend_from_slice(&head);
                    entry.read_to_end(&mut data).with_context(|| format!("reading {path}"))?;
                    if let Some(needs) = needs(&path, &data) {
                        linkage.programs.insert(path.clone(), needs);
                    }
                }
                if named_so {
                    linkage.libraries.insert(path);
                }
            }
            _ => {}
        }
    }
    linkage.programs.retain(|path, _| !in_go_testdata(path, &files));
    linkage.libraries.retain(|path| !in_go_testdata(path, &files));
    linkage.links.retain(|path, _| !in_go_testdata(path, &files));
    // An interpreter need not be named like a library.
    let interpreters: Vec<String> = linkage
        .programs
        .values()
        .filter_map(|n| n.interpreter.as_deref())
        .map(|i| i.trim_start_matches('/').to_owned())
        .collect();
    let union = [&linkage];
    let found: Vec<String> =
        interpreters.iter().filter_map(|i| resolve(&union, i)).filter(|real| files.contains(real)).collect();
    linkage.libraries.extend(found);
    for (path, text) in configs {
        let dirs = loader_dirs(&path, &text);
        if path.starts_with("etc/ld-musl-") {
            linkage.musl_path.get_or_insert_with(Vec::new).extend(dirs);
        } else {
            linkage.ld_so_conf.extend(dirs);
        }
    }
    linkage.ld_so_conf.sort();
    linkage.ld_so_conf.dedup();
    Ok(linkage)
}

/// Whether `path` lies in a `testdata` directory under the `src/` of a Go root in `files`.
fn in_go_testdata(path: &str, files: &BTreeSet<String>) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let Some(testdata) = parts.iter().position(|part| *part == "testdata") else { return false };
    (0..testdata).filter(|&i| parts[i] == "src").any(|src| {
        let root = parts[..src].join("/");
        files.contains(&if root.is_empty() { "src/go.mod".to_owned() } else { format!("{root}/src/go.mod") })
    })
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("")
}

fn is_loader_config(path: &str) -> bool {
    path == "etc/ld.so.conf"
        || (path.starts_with("etc/ld.so.conf.d/") && path.ends_with(".conf"))
        || (path.starts_with("etc/ld-musl-") && path.ends_with(".path") && !path[4..].contains('/'))
}

/// The directories a loader configuration file lists: musl's path file holds them
/// separated by `:` or newlines, glibc's lines (an `include` line adds nothing: every
/// `ld.so.conf.d/*.conf` is read anyway).
fn loader_dirs(path: &str, text: &str) -> Vec<String> {
    let musl = path.starts_with("etc/ld-musl-");
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty() && !line.starts_with("include "))
        .flat_map(|line| if musl { line.split(':').collect::<Vec<_>>() } else { vec![line] })
        .map(|dir| dir.trim().trim_matches('/').to_owned())
        .filter(|dir| !dir.is_empty() && !dir.contains(' '))
        .collect()
}

/// What a dynamically linked ELF file needs; `None` for a static one, an object file, or
/// bytes that do not parse as ELF (kept as data: a layer may hold test corpora).
fn needs(path: &str, data: &[u8]) -> Option<Needs> {
    let elf = goblin::elf::Elf::parse(data).ok()?;
    if elf.header.e_type == goblin::elf::header::ET_REL {
        return None;
    }
    let interpreter = elf.interpreter.map(str::to_owned);
    let libraries: Vec<String> = elf.libraries.iter().map(|l| l.to_string()).collect();
    if interpreter.is_none() && libraries.is_empty() {
        return None;
    }
    let origin = format!("/{}", parent(path));
    let rpath = elf
        .rpaths
        .iter()
        .chain(elf.runpaths.iter())
        .flat_map(|entry| entry.split(':'))
        .filter(|dir| !dir.is_empty())
        .map(|dir| dir.replace("${ORIGIN}", &origin).replace("$ORIGIN", &origin))
        .collect();
    Some(Needs { interpreter, libraries, rpath })
}

/// Follows `path` (relative to the root, or absolute) through the links of the layers,
/// the last layer's entry winning; `None` past 40 links or above the root.
fn resolve(layers: &[&Linkage], path: &str) -> Option<String> {
    let mut todo: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
    let mut at: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                at.pop();
                continue;
            }
            _ => {}
        }
        at.push(part);
        let here = at.join("/");
        if let Some(target) = layers.iter().rev().find_map(|l| l.links.get(&here)) {
            hops += 1;
            if hops > 40 {
                return None;
            }
            at.pop();
            if target.starts_with('/') {
                at.clear();
            }
            todo.extend(target.split('/').rev().map(str::to_owned));
        }
    }
    Some(at.join("/"))
}

fn provided(layers: &[&Linkage], path: &str) -> bool {
    resolve(layers, path).is_some_and(|real| layers.iter().any(|l| l.libraries.contains(&real)))
}

/// What the programs of `own`, stacked on `others` (in order, later ones on top, `own`
/// last), need and do not find.
pub fn missing(own: &Linkage, others: &[&Linkage]) -> Vec<Missing> {
    let mut layers: Vec<&Linkage> = others.to_vec();
    layers.push(own);
    let owned = |dirs: &[&str]| dirs.iter().map(|d| d.to_string()).collect::<Vec<_>>();
    let musl: Vec<String> = layers.iter().rev().find_map(|l| l.musl_path.clone()).unwrap_or_else(|| owned(MUSL_DIRS));
    let mut glibc: Vec<String> = layers.iter().flat_map(|l| l.ld_so_conf.iter().cloned()).collect();
    glibc.extend(owned(GLIBC_DIRS));
    let mut out = Vec::new();
    for (file, needs) in &own.programs {
        let search: Vec<&String> = match needs.interpreter.as_deref() {
            Some(interpreter) if file_name(interpreter).starts_with("ld-musl-") => musl.iter().collect(),
            Some(_) => glibc.iter().collect(),
            None => musl.iter().chain(glibc.iter()).collect(),
        };
        if let Some(interpreter) = &needs.interpreter {
            if !provided(&layers, interpreter) {
                out.push(Missing { file: format!("/{file}"), library: interpreter.clone(), interpreter: true });
            }
        }
        for library in &needs.libraries {
            let found = if library.contains('/') {
                provided(&layers, library)
            } else {
                needs
                    .rpath
                    .iter()
                    .chain(search.iter().copied())
                    .any(|dir| provided(&layers, &format!("{dir}/{library}")))
            };
            if !found {
                out.push(Missing { file: format!("/{file}"), library: library.clone(), interpreter: false });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(entries: &[(&str, Entry)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, entry) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o755);
            match entry {
                Entry::File(data) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(data.len() as u64);
                    builder.append_data(&mut header, path, &data[..]).unwrap();
                }
                Entry::Link(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_size(0);
                    builder.append_link(&mut header, path, target).unwrap();
                }
            }
        }
        builder.into_inner().unwrap()
    }

    enum Entry {
        File(Vec<u8>),
        Link(&'static str),
    }

    /// The smallest 64-bit x86-64 ELF executable goblin reads: a header, PT_INTERP and
    /// PT_DYNAMIC program headers, the interpreter string, a string table and a dynamic
    /// section naming `needed` (and `runpath`).
    fn program(interpreter: &str, needed: &[&str], runpath: Option<&str>) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut offsets = Vec::new();
        for name in needed.iter().chain(runpath.iter()) {
            offsets.push(strtab.len() as u64);
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
        }
        let interp = format!("{interpreter}\0").into_bytes();
        let (ehdr, phdr) = (64u64, 56u64);
        let phnum = 3u64;
        let interp_at = ehdr + phdr * phnum;
        let strtab_at = interp_at + interp.len() as u64;
        let dynamic_at = (strtab_at + strtab.len() as u64).next_multiple_of(8);
        let mut dynamic: Vec<(u64, u64)> = Vec::new();
        for offset in &offsets[..needed.len()] {
            dynamic.push((1, *offset)); // DT_NEEDED
        }
        if runpath.is_some() {
            dynamic.push((29, offsets[needed.len()])); // DT_RUNPATH
        }
        dynamic.push((5, strtab_at)); // DT_STRTAB (address = offset, one segment)
        dynamic.push((10, strtab.len() as u64)); // DT_STRSZ
        dynamic.push((0, 0));
        let end = dynamic_at + 16 * dynamic.len() as u64;
        let mut out = Vec::new();
        out.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        for v in [3u16, 62] {
            out.extend_from_slice(&v.to_le_bytes()); // ET_DYN, EM_X86_64
        }
        out.extend_from_slice(&1u32.to_le_bytes());
        for v in [0u64, ehdr, 0] {
            out.extend_from_slice(&v.to_le_bytes()); // entry, phoff, shoff
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        for v in [ehdr as u16, phdr as u16, phnum as u16, 64, 0, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let segment = |out: &mut Vec<u8>, kind: u32, offset: u64, size: u64| {
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&4u32.to_le_bytes());
            for v in [offset, offset, offset, size, size, 8] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        };
        segment(&mut out, 1, 0, end); // PT_LOAD of the whole file
        segment(&mut out, 3, interp_at, interp.len() as u64); // PT_INTERP
        segment(&mut out, 2, dynamic_at, 16 * dynamic.len() as u64); // PT_DYNAMIC
        out.extend_from_slice(&interp);
        out.extend_from_slice(&strtab);
        out.resize(dynamic_at as usize, 0);
        for (tag, value) in dynamic {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        out
    }

    const LOADER: &str = "/lib/ld-musl-x86_64.so.1";

    fn libc() -> Linkage {
        scan(
            &layer(&[
                ("usr/lib/libc.so", Entry::File(b"not read".to_vec())),
                ("lib/ld-musl-x86_64.so.1", Entry::Link("/usr/lib/libc.so")),
            ])[..],
        )
        .unwrap()
    }

    #[test]
    fn a_program_reads_as_what_its_dynamic_section_names() {
        let scanned = scan(
            &layer(&[(
                "usr/bin/tool",
                Entry::File(program(LOADER, &["libz.so.1", "libc.so"], Some("$ORIGIN/../lib"))),
            )])[..],
        )
        .unwrap();
        assert_eq!(
            scanned.programs["usr/bin/tool"],
            Needs {
                interpreter: Some(LOADER.into()),
                libraries: vec!["libz.so.1".into(), "libc.so".into()],
                rpath: vec!["/usr/bin/../lib".into()],
            }
        );
    }

    #[test]
    fn elf_files_of_a_go_roots_test_data_are_neither_programs_nor_libraries() {
        let scanned = scan(
            &layer(&[
                ("usr/lib/go/src/go.mod", Entry::File(b"module std\n".to_vec())),
                (
                    "usr/lib/go/src/debug/elf/testdata/gcc-amd64-linux-exec",
                    Entry::File(program(LOADER, &["libc.so.6"], None)),
                ),
                ("usr/lib/go/src/debug/elf/testdata/libtiny.so", Entry::File(vec![0; 8])),
                ("usr/lib/go/bin/gofmt", Entry::File(program(LOADER, &["libc.so"], None))),
            ])[..],
        )
        .unwrap();
        assert_eq!(scanned.programs.keys().collect::<Vec<_>>(), ["usr/lib/go/bin/gofmt"]);
        assert!(scanned.libraries.is_empty(), "{:?}", scanned.libraries);
    }

    #[test]
    fn a_testdata_directory_outside_a_go_root_hides_nothing() {
        // No src/go.mod beside it: a program put under testdata/ is checked like any other.
        let hidden = "usr/bin/testdata/tool";
        let scanned = scan(
            &layer(&[
                (hidden, Entry::File(program(LOADER, &["libz.so.1"], None))),
                ("opt/src/testdata/libz.so.1", Entry::File(vec![0; 8])),
            ])[..],
        )
        .unwrap();
        assert_eq!(scanned.programs.keys().collect::<Vec<_>>(), [hidden]);
        assert!(scanned.libraries.contains("opt/src/testdata/libz.so.1"), "{:?}", scanned.libraries);
    }

    #[test]
    fn a_library_is_found_through_links_in_other_layers_and_a_missing_one_is_named() {
        let tool = scan(&layer(&[("usr/bin/tool", Entry::File(program(LOADER, &["libz.so.1", "libc.so"], None)))])[..])
            .unwrap();
        let zlib = scan(
            &layer(&[
                ("usr/lib/libz.so.1.2.13", Entry::File(vec![0; 8])),
                ("usr/lib/libz.so.1", Entry::Link("libz.so.1.2.13")),
            ])[..],
        )
        .unwrap();
        assert_eq!(missing(&tool, &[&libc(), &zlib]), []);
        assert_eq!(
            missing(&tool, &[&libc()]),
            [Missing { file: "/usr/bin/tool".into(), library: "libz.so.1".into(), interpreter: false }]
        );
        assert_eq!(
            missing(&tool, &[&zlib]),
            [
                Missing { file: "/usr/bin/tool".into(), library: LOADER.into(), interpreter: true },
                Missing { file: "/usr/bin/tool".into(), library: "libc.so".into(), interpreter: false },
            ]
        );
    }

    #[test]
    fn rpath_and_loader_configuration_widen_the_search_and_a_dangling_link_provides_nothing() {
        let tool = scan(
            &layer(&[
                ("opt/x/bin/tool", Entry::File(program(LOADER, &["libx.so"], Some("$ORIGIN/../lib")))),
                ("opt/x/lib/libx.so", Entry::File(vec![0; 8])),
                ("usr/bin/other", Entry::File(program(LOADER, &["liby.so"], None))),
            ])[..],
        )
        .unwrap();
        let y = |config: &str| {
            scan(
                &layer(&[
                    ("opt/y/liby.so", Entry::File(vec![0; 8])),
                    ("etc/ld-musl-x86_64.path", Entry::File(config.as_bytes().to_vec())),
                ])[..],
            )
            .unwrap()
        };
        assert_eq!(missing(&tool, &[&libc(), &y("/lib:/usr/lib\n/opt/y\n")]), []);
        let without = missing(&tool, &[&libc(), &y("/lib\n")]);
        assert_eq!(without.iter().map(|m| m.library.as_str()).collect::<Vec<_>>(), ["liby.so"]);
        let dangling = scan(&layer(&[("usr/lib/liby.so", Entry::Link("liby.so.9"))])[..]).unwrap();
        assert_eq!(missing(&tool, &[&libc(), &dangling]).len(), 1);
    }

    #[test]
    fn a_musl_program_finds_what_is_in_lib64_only_when_a_path_file_says_so() {
        let tool =
            scan(&layer(&[("usr/bin/tool", Entry::File(program(LOADER, &["libstdc++.so.6"], None)))])[..]).unwrap();
        let cxx = |path_file: Option<&str>| {
            let mut entries = vec![("usr/lib64/libstdc++.so.6", Entry::File(vec![0; 8]))];
            if let Some(text) = path_file {
                entries.push(("etc/ld-musl-x86_64.path", Entry::File(text.as_bytes().to_vec())));
            }
            scan(&layer(&entries)[..]).unwrap()
        };
        assert_eq!(missing(&tool, &[&libc(), &cxx(None)]).len(), 1, "musl does not search lib64 by default");
        assert_eq!(missing(&tool, &[&libc(), &cxx(Some("/lib\n/usr/lib\n/usr/lib64\n"))]), []);
        // The topmost path file is the one musl reads.
        let later = scan(&layer(&[("etc/ld-musl-x86_64.path", Entry::File(b"/lib\n".to_vec()))])[..]).unwrap();
        assert_eq!(missing(&tool, &[&libc(), &cxx(Some("/usr/lib64\n")), &later]).len(), 1);
        // A glibc program finds it in lib64 with no configuration.
        let glibc = scan(
            &layer(&[("usr/bin/tool", Entry::File(program("/lib64/ld-linux-x86-64.so.2", &["libstdc++.so.6"], None)))])
                [..],
        )
        .unwrap();
        let loader = scan(&layer(&[("lib64/ld-linux-x86-64.so.2", Entry::File(vec![0; 8]))])[..]).unwrap();
        assert_eq!(missing(&glibc, &[&loader, &cxx(None)]), []);
    }

    #[test]
    fn static_programs_object_files_and_data_that_looks_like_elf_need_nothing() {
        let mut object = program(LOADER, &["libz.so.1"], None);
        object[16] = 1; // ET_REL
        let mut garbage = b"\x7fELF".to_vec();
        garbage.resize(100, 0xff);
        let scanned =
            scan(&layer(&[("usr/lib/a.o", Entry::File(object)), ("usr/share/corpus/x", Entry::File(garbage))])[..])
                .unwrap();
        assert!(scanned.programs.is_empty(), "{scanned:?}");
    }

    #[test]
    fn a_link_loop_resolves_to_nothing() {
        let looped = scan(&layer(&[("lib/a.so", Entry::Link("b.so")), ("lib/b.so", Entry::Link("a.so"))])[..]).unwrap();
        assert_eq!(resolve(&[&looped], "lib/a.so"), None);
    }
}
