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

    /// The named packages and all they depend on, dependencies first (stable order).
    pub fn order(&self, wanted: impl IntoIterator<Item = String>) -> Result<Vec<String>> {
        fn visit(
            registry: &Registry,
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
            for dep in &package.deps {
                visit(registry, dep, path, done, out)?;
            }
            path.pop();
            done.insert(name.to_owned());
            out.push(name.to_owned());
            Ok(())
        }
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        for name in wanted {
            visit(self, &name, &mut Vec::new(), &mut done, &mut out)?;
        }
        Ok(out)
    }
}
