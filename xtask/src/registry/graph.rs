//! The package graph: the order packages build in (dependencies first, cycles refused),
//! and which packages a plain `build` or `reproduce` takes.

use std::collections::BTreeSet;

use anyhow::{bail, Result};

use super::{Recipe, Registry};

impl Registry {
    /// The packages of the toolchain-level proof: every rebuild (`Recipe::Rebuild`) and
    /// what only they need (the second root, `cross-zig`). A plain `build` or `reproduce`
    /// leaves them out; `bootstrap prove --toolchain` or naming them builds them.
    pub fn proof_only(&self) -> BTreeSet<String> {
        let mut proof: BTreeSet<String> =
            self.packages.values().filter(|p| matches!(p.recipe, Recipe::Rebuild(_))).map(|p| p.name.clone()).collect();
        loop {
            let more: Vec<String> = self
                .packages
                .keys()
                .filter(|name| !proof.contains(*name))
                .filter(|name| {
                    let mut users = self.packages.values().filter(|p| p.deps.contains(name)).peekable();
                    users.peek().is_some() && users.all(|p| proof.contains(&p.name))
                })
                .cloned()
                .collect();
            if more.is_empty() {
                return proof;
            }
            proof.extend(more);
        }
    }

    /// What `build` and `reproduce` take when no package is named: all but [`Self::proof_only`].
    pub fn default_set(&self) -> Vec<String> {
        let proof = self.proof_only();
        self.packages.keys().filter(|name| !proof.contains(*name)).cloned().collect()
    }

    /// The named packages and all they are built from, dependencies first (stable order).
    pub fn order(&self, wanted: impl IntoIterator<Item = String>) -> Result<Vec<String>> {
        self.visit_all(wanted, Edges::Build)
    }

    /// As [`Self::order`], with what each needs to run too (`runtime`, transitively):
    /// what `build` makes, so that every image it leaves can be run and checked.
    pub fn order_to_run(&self, wanted: impl IntoIterator<Item = String>) -> Result<Vec<String>> {
        self.visit_all(wanted, Edges::BuildAndRuntime)
    }

    /// What `name`'s programs need beside it to run: its runtime dependencies and
    /// theirs, each before what needs it, `name` itself not included.
    pub fn runtime_closure(&self, name: &str) -> Result<Vec<String>> {
        let mut closure = self.visit_all([name.to_owned()], Edges::Runtime)?;
        closure.retain(|n| n != name);
        Ok(closure)
    }

    /// What `cargo xtask run` stacks for `names`, bottom first: each named package after
    /// its runtime closure, in the order given, each package once.
    pub fn stack_to_run(&self, names: &[String]) -> Result<Vec<String>> {
        let mut stack: Vec<String> = Vec::new();
        for name in names {
            for package in self.runtime_closure(name)?.into_iter().chain([name.clone()]) {
                if !stack.contains(&package) {
                    stack.push(package);
                }
            }
        }
        Ok(stack)
    }

    fn visit_all(&self, wanted: impl IntoIterator<Item = String>, edges: Edges) -> Result<Vec<String>> {
        fn visit(
            registry: &Registry,
            edges: Edges,
            name: &str,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
            out: &mut Vec<String>,
        ) -> Result<()> {
            if done.contains(name) {
                return Ok(());
            }
            if let Some(at) = path.iter().position(|p| p == name) {
                bail!("dependency cycle: {} -> {name}", path[at..].join(" -> "));
            }
            let package = registry.get(name)?;
            path.push(name.to_owned());
            let build = package.deps.iter().filter(|_| edges != Edges::Runtime);
            let runtime = package.runtime.iter().filter(|_| edges != Edges::Build);
            for dep in build.chain(runtime) {
                visit(registry, edges, dep, path, done, out)?;
            }
            path.pop();
            done.insert(name.to_owned());
            out.push(name.to_owned());
            Ok(())
        }
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        for name in wanted {
            visit(self, edges, &name, &mut Vec::new(), &mut done, &mut out)?;
        }
        Ok(out)
    }
}

/// Which edges of the graph a walk follows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edges {
    Build,
    Runtime,
    BuildAndRuntime,
}
