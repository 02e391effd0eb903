use super::*;

const FACTS: &str = "# test\npath\ttype\taccess\tflags\n\
Device.\tobject\treadOnly\t\n\
Device.X\tstring\treadOnly\t\n\
Device.A.\tobject\treadOnly\t\n\
Device.A.TNumberOfEntries\tunsignedInt\treadOnly\t\n\
Device.A.T.{i}.\tobject\treadWrite\tmulti keys=~Alias;Name,Port count=TNumberOfEntries\n\
Device.A.T.{i}.Alias\tstring\treadWrite\t\n\
Device.A.T.{i}.Old\tstring\treadWrite\tobsoleted\n\
Device.A.T.{i}.Go()\tcommand\t-\tasync in=X:string out=R.{i}.Y:int\n\
Device.A.T.{i}.Done!\tevent\t-\targs=C:string\n\
Device.B.\tobject\treadOnly\t\n\
Device.B.P\tboolean\treadWrite\t\n";

#[test]
fn parses_and_filters() {
    let s = Schema::parse(FACTS, "urn:x", &|p| !p.starts_with("Device.B.")).unwrap();
    let t = s.find("Device.A.T.{i}.").unwrap();
    let o = s.node(t).object().unwrap();
    assert!(o.multi && o.writable);
    assert_eq!(o.keys.len(), 2);
    assert!(!o.keys[0].functional && o.keys[1].functional);
    assert_eq!(o.keys[1].names, ["Name", "Port"]);
    assert_eq!(s.node(t).name, "T");
    assert_eq!(s.node(t).depth, 1);
    assert!(s.find("Device.B.").is_none() && s.find("Device.B.P").is_none());
    assert!(s.find("Device.A.T.{i}.Old").is_none());
    let go = s.child(t, "Go").unwrap();
    assert_eq!(
        s.node(go).kind,
        Kind::Command(Command {
            is_async: true,
            input: vec!["X".into()],
            output: vec!["R.{i}.Y".into()]
        })
    );
    let count = s.find("Device.A.TNumberOfEntries").unwrap();
    assert_eq!(s.counted_table(count), Some(t));
    assert_eq!(s.render(t, &[3]), "Device.A.T.3.");
    assert_eq!(s.render(t, &[]), "Device.A.T.");
}

#[test]
fn rejects_bad_rows() {
    let bad =
        "path\ttype\taccess\tflags\nDevice.\tobject\treadOnly\t\nDevice.Y\tfloat\treadOnly\t\n";
    assert_eq!(Schema::parse(bad, "", &|_| true).unwrap_err().line, 3);
    assert!(Schema::parse("nothing", "", &|_| true).is_err());
}
