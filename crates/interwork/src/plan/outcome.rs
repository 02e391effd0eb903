//! What each CPE answer means for the plan: values and listings into the
//! cache, refusals and created instances into the write record, the model
//! from discovery, and the faults that end the request.

use std::sync::Arc;

use agent::dm::Refusal;
use cwmp::Body;
use usp::proto::usp::request::ReqType;
use usp::ErrorCode;

use super::{error, internal, Outcome, Plan};
use crate::calls::Call;
use crate::dialect::{self, Root};
use crate::fault;
use crate::model::DeviceModel;
use crate::operate;
use crate::write;

impl Plan {
    pub(super) fn take(&mut self, call: Call, outcome: Outcome) {
        let refusal = |code: u32, string: &str, on_param: bool| {
            Refusal::new(
                fault::usp_code(code, on_param),
                fault::message(code, string),
            )
        };
        if let Some(listing) = self.listing.take() {
            return self.lists_read(listing, outcome);
        }
        // dialect: names come back in USP's model before the cache.
        let (outcome, remapped) = match &self.model {
            Some(m) => m.outcome(&call, outcome),
            None => (outcome, None),
        };
        match (call, outcome) {
            (_, Outcome::Failed { code, msg }) => self.done = Some(error(code, msg)),
            (
                Call::Discover(Root::Tr098),
                Outcome::Response(Body::GetParameterNamesResponse(r)),
            ) if self.tr098.pack.is_some() => {
                let listing = r
                    .parameter_list
                    .iter()
                    .map(|p| (p.name.to_string(), p.writable))
                    .collect();
                self.discovered_tr098(listing);
            }
            (Call::Discover(root), Outcome::Response(Body::GetParameterNamesResponse(r))) => {
                let names = r.parameter_list.iter().map(|p| (&*p.name, p.writable));
                self.set_model(dialect::discovered(root, names));
            }
            (Call::Discover(Root::Tr181), Outcome::Fault { code: 9005, .. }) => {
                self.queue.push(Call::Discover(Root::Tr098))
            }
            // Neither TR-181 nor TR-098: nothing of it is in a USP model.
            (Call::Discover(_), Outcome::Fault { code: 9005, .. }) => {
                self.set_model(DeviceModel::empty())
            }
            (Call::Gpv(names), Outcome::Response(Body::GetParameterValuesResponse(r))) => {
                if let Some(m) = &self.model {
                    let got = r
                        .parameter_list
                        .iter()
                        .map(|p| (&*p.name, &*p.value.text, p.value.ty));
                    self.cache.take_values(m.schema(), &names, got);
                }
            }
            // One bad name faults the whole call: halve until it is alone.
            (Call::Gpv(mut names), Outcome::Fault { code: 9005, .. }) if names.len() > 1 => {
                let back = names.split_off(names.len() / 2);
                self.queue.push(Call::Gpv(names));
                self.queue.push(Call::Gpv(back));
            }
            (Call::Gpv(names), Outcome::Fault { code: 9005, .. }) => {
                names.iter().for_each(|n| self.cache.take_absent(n))
            }
            (
                Call::Gpn { path, next_level },
                Outcome::Response(Body::GetParameterNamesResponse(r)),
            ) => {
                self.cache
                    .take_names(&path, next_level, r.parameter_list.iter().map(|p| &*p.name))
            }
            (Call::Gpn { path, .. }, Outcome::Fault { code: 9005, .. }) => {
                self.cache.take_absent(&path)
            }
            (Call::Spv(list), Outcome::Response(Body::SetParameterValuesResponse(_))) => {
                for (p, _, v) in &list {
                    self.cache.put(p, v);
                }
                let applied = list.into_iter().map(|(p, _, v)| (p, v)).collect();
                self.writes.applied.insert(applied);
            }
            (
                Call::Spv(list),
                Outcome::Fault {
                    code,
                    string,
                    params,
                },
            ) => {
                if params.is_empty() {
                    // No cause named: the whole set failed as one.
                    for (p, _, _) in &list {
                        let r = refusal(code, &string, true);
                        self.writes.refused.insert(p.clone(), r);
                    }
                }
                for f in params {
                    let r = refusal(f.code, &f.string, true);
                    self.writes.refused.insert(f.name, r);
                }
            }
            (Call::Add { table, ordinal }, Outcome::Response(Body::AddObjectResponse(r))) => {
                self.writes
                    .added
                    .insert((table, ordinal), r.instance_number);
            }
            (Call::Add { table, ordinal }, Outcome::Fault { code, string, .. }) => {
                let r = refusal(code, &string, false);
                write::refuse_add(&mut self.writes, &table, ordinal, r);
            }
            (Call::Delete(path), Outcome::Response(Body::DeleteObjectResponse(_))) => {
                self.writes.deleted.insert(path);
            }
            (Call::Delete(path), Outcome::Fault { code, string, .. }) => {
                let r = refusal(code, &string, false);
                self.writes.refused_objects.insert(path, r);
            }
            (Call::Reboot, Outcome::Response(Body::RebootResponse))
            | (Call::FactoryReset, Outcome::Response(Body::FactoryResetResponse)) => {
                self.operated = Some(false)
            }
            // Status 0: downloaded and applied already, no TransferComplete.
            (Call::Download { .. }, Outcome::Response(Body::DownloadResponse(r)))
            | (Call::Upload { .. }, Outcome::Response(Body::UploadResponse(r))) => {
                self.operated = Some(r.status != 0)
            }
            (Call::Diagnose(_), Outcome::Response(Body::SetParameterValuesResponse(_))) => {
                self.operated = Some(true)
            }
            (
                Call::Reboot
                | Call::FactoryReset
                | Call::Download { .. }
                | Call::Upload { .. }
                | Call::Diagnose(_),
                Outcome::Fault {
                    code,
                    string,
                    params,
                },
            ) => {
                let cmd = match &self.request {
                    ReqType::Operate(o) => o.command.clone(),
                    _ => String::new(),
                };
                self.done = Some(operate::failed(cmd, code, &string, &params));
            }
            (_, Outcome::Fault { code, string, .. }) => {
                self.done = Some(error(
                    fault::usp_code(code, false).as_u32(),
                    fault::message(code, &string),
                ))
            }
            (_, Outcome::Response(b)) => {
                self.done = Some(internal(&format!(
                    "the CPE answered with {}",
                    b.method_name()
                )))
            }
        }
        if let Some(m) = remapped {
            self.set_model(DeviceModel::mapped(m));
        }
    }

    /// A TR-098 CPE's listing: its model, once the list parameters the
    /// pack makes tables of are read.
    fn discovered_tr098(&mut self, listing: Vec<(String, bool)>) {
        let lists = self.tr098.lists(&listing);
        if lists.is_empty() {
            let none = Outcome::Failed {
                code: 0,
                msg: String::new(),
            };
            return self.lists_read(listing, none);
        }
        self.listing = Some(listing);
        self.queue.push(Call::Gpv(lists));
    }

    fn lists_read(&mut self, listing: Vec<(String, bool)>, outcome: Outcome) {
        if let Some(model) = self.tr098.model(listing, super::list_values(outcome)) {
            self.set_model(model);
        }
    }

    fn set_model(&mut self, model: Result<DeviceModel, agent::dm::schema::SchemaError>) {
        match model {
            Ok(m) => self.model = Some(Arc::new(m)),
            Err(e) => {
                self.done = Some(error(
                    ErrorCode::InternalError.as_u32(),
                    format!("data model facts: {e:?}"),
                ))
            }
        }
    }
}
