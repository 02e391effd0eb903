//! The engine over a toy model and a map-backed [`Data`]: what the
//! LocalAgent model cannot show (hidden values, writeOnceReadOnly).

use std::collections::BTreeMap;

use usp::msg;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;

use super::*;

const FACTS: &str = "path\ttype\taccess\tflags\n\
Device.\tobject\treadOnly\t\n\
Device.T.{i}.\tobject\treadWrite\tmulti keys=Name\n\
Device.T.{i}.Name\tstring\twriteOnceReadOnly\t\n\
Device.T.{i}.Secret\tstring\treadWrite\thidden\n";

type Rows = BTreeMap<u32, BTreeMap<String, String>>;

#[derive(Default, Clone)]
struct MapData {
    rows: Rows,
    next: u32,
    saved: Option<Box<(Rows, u32)>>,
}

impl Data for MapData {
    fn instances(&self, _: &str, _: &[u32]) -> Vec<u32> {
        self.rows.keys().copied().collect()
    }
    fn value(&self, param: &str, inst: &[u32]) -> Option<String> {
        let name = param.rsplit('.').next()?;
        Some(
            self.rows
                .get(inst.first()?)?
                .get(name)
                .cloned()
                .unwrap_or_default(),
        )
    }
    fn begin(&mut self) {
        self.saved = Some(Box::new((self.rows.clone(), self.next)));
    }
    fn commit(&mut self) {
        self.saved = None;
    }
    fn rollback(&mut self) {
        if let Some(s) = self.saved.take() {
            (self.rows, self.next) = *s;
        }
    }
    fn set(&mut self, param: &str, inst: &[u32], value: &str) -> Result<(), Refusal> {
        let name = param.rsplit('.').next().unwrap_or_default();
        let row = self
            .rows
            .get_mut(&inst[0])
            .ok_or(Refusal::new(ErrorCode::ObjectDoesNotExist, "gone"))?;
        row.insert(name.into(), value.into());
        Ok(())
    }
    fn add(&mut self, _: &str, _: &[u32]) -> Result<u32, Refusal> {
        self.next += 1;
        self.rows.insert(self.next, BTreeMap::new());
        Ok(self.next)
    }
    fn delete(&mut self, _: &str, inst: &[u32]) -> Result<(), Refusal> {
        self.rows.remove(&inst[0]);
        Ok(())
    }
}

fn req(m: usp::Msg) -> ReqType {
    m.request().unwrap().clone()
}

#[test]
fn hidden_reads_empty_and_write_once_is_writable_only_when_empty() {
    let s = Schema::parse(FACTS, "urn:toy", &|_| true).unwrap();
    let mut d = MapData::default();
    let ReqType::Add(a) = req(msg::add(
        "a",
        false,
        vec![msg::add_obj(
            "Device.T.",
            [("Name", "n1", true), ("Secret", "pw", true)],
        )],
    )) else {
        panic!()
    };
    let Answer::Resp(RespType::AddResp(r)) = add::add(&s, &mut d, &a) else {
        panic!()
    };
    assert_eq!(r.created_obj_results.len(), 1);
    assert_eq!(d.rows[&1]["Secret"], "pw");

    let ReqType::Get(g) = req(msg::get("g", ["Device.T.1."], 0)) else {
        panic!()
    };
    let Answer::Resp(RespType::GetResp(r)) = get::get(&s, &d, &g) else {
        panic!()
    };
    let p = &r.req_path_results[0].resolved_path_results[0].result_params;
    assert_eq!((p["Name"].as_str(), p["Secret"].as_str()), ("n1", ""));

    // Name was written at creation: now read-only.
    let ReqType::Set(st) = req(msg::set(
        "s",
        false,
        vec![msg::set_obj("Device.T.1.", [("Name", "n2", true)])],
    )) else {
        panic!()
    };
    let Answer::Error(e) = set::set(&s, &mut d, &st) else {
        panic!()
    };
    assert_eq!(
        e.param_errs[0].err_code,
        ErrorCode::ParameterReadOnly.as_u32()
    );
    assert_eq!(d.rows[&1]["Name"], "n1");
}
