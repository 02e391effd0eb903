//! Envelope-level parsing: SOAP Envelope, Header blocks and Body dispatch.
//! Element names are matched on namespace URI and local name, never prefix.

pub(crate) mod cursor;

use quick_xml::events::Event;

use crate::codec::Field;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::fault::Fault;
use crate::model::{Body, Envelope, Header, UnknownMethod};
use crate::namespace::{CwmpVersion, Ns};
use cursor::{Cursor, Elem};

pub(crate) fn parse_envelope<'a>(input: &'a [u8], limits: &Limits) -> Result<Envelope<'a>, Error> {
    if input.len() > limits.max_input_bytes {
        return Err(Error::InputTooLarge {
            size: input.len(),
            limit: limits.max_input_bytes,
        });
    }
    if input.trim_ascii().is_empty() {
        return Ok(Envelope::default());
    }
    let mut c = Cursor::new(input, limits);
    let root = loop {
        match c.next_or_eof()? {
            Some(Event::Start(start)) => break Cursor::elem(start),
            Some(Event::Text(t)) if !t.trim_ascii().is_empty() => return Err(Error::NotEnvelope),
            Some(_) => continue,
            None => return Err(Error::NotEnvelope),
        }
    };
    if c.ns(&root) != Ns::Soap || root.local() != b"Envelope" {
        return Err(Error::NotEnvelope);
    }
    let declared = c.declared_cwmp();

    let mut header = Header::default();
    let mut body = Body::Empty;
    let mut header_version = None;
    let mut body_version = None;
    let mut seen_body = false;
    c.children(|c, el| match (c.ns(el), el.local()) {
        (Ns::Soap, b"Header") => {
            header_version = parse_header(c, &mut header)?;
            Ok(())
        }
        (Ns::Soap, b"Body") if !seen_body => {
            seen_body = true;
            (body, body_version) = parse_body(c)?;
            Ok(())
        }
        _ => c.skip(),
    })?;
    // The body element is the most specific statement of what the peer
    // speaks; the Envelope's xmlns declaration is the fallback for faults.
    let version = body_version
        .or(header_version)
        .or(declared)
        .unwrap_or_default();
    Ok(Envelope {
        version,
        header,
        body,
    })
}

/// Parses header blocks; returns the cwmp version of the first cwmp block.
fn parse_header<'a>(c: &mut Cursor<'a>, h: &mut Header<'a>) -> Result<Option<CwmpVersion>, Error> {
    let mut version = None;
    c.children(|c, el| {
        match c.ns(el) {
            Ns::Cwmp(v) => {
                version.get_or_insert(v);
            }
            Ns::Unqualified => {}
            Ns::Soap | Ns::Other => return c.skip(),
        }
        match el.local() {
            b"ID" => h.id = Some(c.text(el)?),
            b"HoldRequests" => h.hold_requests = Some(Field::decode(c, el)?),
            b"SessionTimeout" => h.session_timeout = Some(Field::decode(c, el)?),
            b"SupportedCWMPVersions" => h.supported_cwmp_versions = Some(c.text(el)?),
            b"UseCWMPVersion" => h.use_cwmp_version = Some(c.text(el)?),
            // NoMoreRequests (deprecated) and unknown blocks.
            _ => c.skip()?,
        }
        Ok(())
    })?;
    Ok(version)
}

/// Parses the Body: its first element is the message, any further ones
/// (multiple envelopes per body were dropped from CWMP) are ignored.
fn parse_body<'a>(c: &mut Cursor<'a>) -> Result<(Body<'a>, Option<CwmpVersion>), Error> {
    let mut body = Body::Empty;
    let mut version = None;
    let mut first = true;
    c.children(|c, el| {
        if !std::mem::take(&mut first) {
            return c.skip();
        }
        let ns = c.ns(el);
        body = match ns {
            Ns::Soap if el.local() == b"Fault" => Body::Fault(Fault::decode(c, el)?),
            Ns::Cwmp(_) | Ns::Unqualified => {
                if let Ns::Cwmp(v) = ns {
                    version = Some(v);
                }
                match Body::decode_method(el.local(), c, el)? {
                    Some(b) => b,
                    None => unknown(c, el, None)?,
                }
            }
            // Keep a foreign namespace so that re-emitting this element
            // cannot turn it into a cwmp RPC of the same local name.
            Ns::Soap | Ns::Other => {
                let uri = c.ns_uri(el).unwrap_or_default();
                let uri = String::from_utf8(uri).map_err(|_| Error::InvalidUtf8)?;
                unknown(c, el, Some(uri))?
            }
        };
        Ok(())
    })?;
    Ok((body, version))
}

fn unknown<'a>(
    c: &mut Cursor<'a>,
    el: &Elem<'a>,
    namespace: Option<String>,
) -> Result<Body<'a>, Error> {
    let name = el.local();
    // Kept names are re-emitted verbatim, so only plain XML names qualify.
    let plain = name
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !plain {
        return Err(Error::InvalidName(
            String::from_utf8_lossy(name.get(..64).unwrap_or(name)).into_owned(),
        ));
    }
    let name = String::from_utf8_lossy(name).into_owned();
    c.skip()?;
    Ok(Body::Unknown(UnknownMethod {
        name: name.into(),
        namespace: namespace.map(Into::into),
    }))
}
