//! dmgen: turns the Broadband Forum data model XML into the compact facts
//! and simulator profiles committed under `mappings/`. A developer tool:
//! nothing at run time reads the BBF XML.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod bbf;
pub mod facts;
pub mod profile;
pub mod xml;

use std::path::Path;

use anyhow::Result;

/// Facts for every known BBF source: `(facts file name, contents)`.
pub fn generate_facts(bbf_dir: &Path) -> Result<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    for (source, target) in facts::SOURCES {
        let model = bbf::load(&bbf_dir.join(source))?;
        out.push((target, facts::render(&model, source)));
    }
    Ok(out)
}

/// The profile a spec file describes, over the BBF model the spec names.
pub fn generate_profile(spec_path: &Path, bbf_dir: &Path) -> Result<profile::Profile> {
    let spec = profile::Spec::load(spec_path)?;
    let model = bbf::load(&bbf_dir.join(&spec.bbf))?;
    profile::build(&spec, &model).map_err(|e| e.context(format!("profile {}", spec_path.display())))
}
