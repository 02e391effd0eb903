//! TR-098 CPE seen as TR-181 agents. Declarative mapping packs
//! (`mappings/packs/*.toml`, format in docs/mappings.md) say which TR-181
//! objects and parameters are made of which TR-098 ones; this crate reads
//! them ([`pack`], [`Library`]), holds them against the BBF facts
//! ([`check`]), and builds for each CPE the [`View`] that translates
//! names, values, instance numbers and references both ways. Pure data
//! in, data out: the gateway runs the RPCs and persists [`Instances`].

pub mod check;
mod compile;
mod instances;
pub mod pack;
pub mod template;
mod value;
mod view;

pub use compile::{embedded_texts, Library, Pack, PackError, Param, Rule, Source};
pub use instances::Instances;
pub use view::{list_parameters, Binding, Untranslatable, View, CWMP_ROOT};
