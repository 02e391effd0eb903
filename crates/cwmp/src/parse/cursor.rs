//! A pull cursor over quick-xml's reader that enforces [`Limits`], resolves
//! namespaces and hands out text borrowed from the input where possible.
//!
//! Namespace scoping is done here rather than with quick-xml's `NsReader`:
//! only a handful of elements (Envelope, Header, Body, the RPC, header
//! blocks, `xsi:type`) ever need resolving, so bindings are recorded only for
//! elements that declare some, and lookups happen on demand. That keeps the
//! per-element cost of the ~100 members of an Inform at the bare scan.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::error::Error;
use crate::limits::Limits;
use crate::namespace::{CwmpVersion, Ns, SOAP_ENV, XSI};

/// An element whose start tag has just been read.
pub(crate) struct Elem<'a> {
    start: BytesStart<'a>,
}

impl<'a> Elem<'a> {
    pub(crate) fn local(&self) -> &[u8] {
        self.start.local_name().into_inner()
    }
}

/// An `xmlns[:prefix]="uri"` declaration in scope; ranges index `Cursor::names`.
struct Binding {
    depth: usize,
    prefix: std::ops::Range<usize>,
    uri: std::ops::Range<usize>,
}

pub(crate) struct Cursor<'a> {
    reader: Reader<&'a [u8]>,
    input_len: usize,
    limits: Limits,
    depth: usize,
    elements: usize,
    bindings: Vec<Binding>,
    /// Prefix and URI bytes of `bindings`, as one stack-ordered buffer.
    names: Vec<u8>,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a [u8], limits: &Limits) -> Self {
        let mut reader = Reader::from_reader(input);
        let config = reader.config_mut();
        // `<a/>` and `<a></a>` must decode identically.
        config.expand_empty_elements = true;
        config.check_end_names = true;
        Cursor {
            reader,
            input_len: input.len(),
            limits: *limits,
            depth: 0,
            elements: 0,
            // Sized for a typical envelope's five or six declarations, so
            // they do not grow through a string of reallocations.
            bindings: Vec::with_capacity(8),
            names: Vec::with_capacity(384),
        }
    }

    fn xml_error(&self, e: quick_xml::Error) -> Error {
        match e {
            quick_xml::Error::Encoding(_) => Error::InvalidUtf8,
            quick_xml::Error::Escape(_) => Error::InvalidCharRef,
            // quick-xml reports a document cut short as a syntax error
            // positioned at the very end.
            quick_xml::Error::Syntax(_)
                if self.reader.buffer_position() >= self.input_len as u64 =>
            {
                Error::UnexpectedEof
            }
            other => Error::Xml(other.to_string().replace(['\n', '\r'], " ")),
        }
    }

    /// Next event, with limit and DTD checks; `None` at end of input.
    pub(crate) fn next_or_eof(&mut self) -> Result<Option<Event<'a>>, Error> {
        let ev = match self.reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(self.xml_error(e)),
        };
        match &ev {
            Event::Start(_) | Event::Empty(_) => {
                self.depth += 1;
                self.elements += 1;
                if self.depth > self.limits.max_depth {
                    return Err(Error::TooDeep {
                        limit: self.limits.max_depth,
                    });
                }
                if self.elements > self.limits.max_elements {
                    return Err(Error::TooManyElements {
                        limit: self.limits.max_elements,
                    });
                }
                match &ev {
                    Event::Start(start) => self.push_bindings(start),
                    // Not produced with expand_empty_elements, but keep the
                    // depth bookkeeping right should that ever change.
                    _ => self.depth -= 1,
                }
            }
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                self.pop_bindings();
            }
            Event::DocType(d) => {
                // Entities can only be declared inside a DTD; refusing every
                // DTD rules out entity expansion attacks altogether.
                return Err(if contains(d, b"ENTITY") {
                    Error::EntityDeclarationForbidden
                } else {
                    Error::DtdForbidden
                });
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
        Ok(Some(ev))
    }

    fn push_bindings(&mut self, start: &BytesStart<'a>) {
        let raw = start.attributes_raw();
        if raw.len() < 6 || !raw.windows(5).any(|w| w == b"xmlns") {
            return;
        }
        for attr in start.attributes().with_checks(false).flatten() {
            let key = attr.key.as_ref();
            let prefix = match key.strip_prefix(b"xmlns") {
                Some([]) => &[][..],
                Some([b':', rest @ ..]) => rest,
                _ => continue,
            };
            let p0 = self.names.len();
            self.names.extend_from_slice(prefix);
            let p1 = self.names.len();
            self.names.extend_from_slice(&attr.value);
            self.bindings.push(Binding {
                depth: self.depth,
                prefix: p0..p1,
                uri: p1..self.names.len(),
            });
        }
    }

    fn pop_bindings(&mut self) {
        while let Some(b) = self.bindings.last() {
            if b.depth <= self.depth {
                break;
            }
            self.names.truncate(b.prefix.start);
            self.bindings.pop();
        }
    }

    /// The URI bound to `prefix` (empty: the default namespace) in scope.
    fn lookup(&self, prefix: &[u8]) -> Option<&[u8]> {
        self.bindings
            .iter()
            .rev()
            .find(|b| self.names.get(b.prefix.clone()) == Some(prefix))
            .and_then(|b| self.names.get(b.uri.clone()))
    }

    fn split_qname(qname: &[u8]) -> (&[u8], &[u8]) {
        match qname.iter().position(|&b| b == b':') {
            Some(i) => (
                qname.get(..i).unwrap_or_default(),
                qname.get(i + 1..).unwrap_or_default(),
            ),
            None => (&[], qname),
        }
    }

    fn next(&mut self) -> Result<Event<'a>, Error> {
        self.next_or_eof()?.ok_or(Error::UnexpectedEof)
    }

    /// Wraps a start tag handed out by [`Self::next_or_eof`].
    pub(crate) fn elem(start: BytesStart<'a>) -> Elem<'a> {
        Elem { start }
    }

    /// Namespace of an element just read (its own xmlns attributes included).
    pub(crate) fn ns(&self, el: &Elem<'a>) -> Ns {
        let (prefix, _) = Self::split_qname(el.start.name().into_inner());
        match self.lookup(prefix) {
            Some(uri) if uri == SOAP_ENV => Ns::Soap,
            // `xmlns=""` undeclares the default namespace.
            Some([]) | None => Ns::Unqualified,
            Some(uri) => CwmpVersion::from_namespace(uri)
                .map(Ns::Cwmp)
                .unwrap_or(Ns::Other),
        }
    }

    /// The namespace URI of an element, exactly as written in its declaration.
    pub(crate) fn ns_uri(&self, el: &Elem<'a>) -> Option<Vec<u8>> {
        let (prefix, _) = Self::split_qname(el.start.name().into_inner());
        self.lookup(prefix).map(<[u8]>::to_vec)
    }

    /// Calls `f` for each child element of the element just entered, then
    /// consumes its end tag. `f` must consume the child it is given (with
    /// [`Self::text`], [`Self::children`], [`Self::skip`] or a decoder).
    /// Text between children (indentation) is ignored.
    pub(crate) fn children(
        &mut self,
        mut f: impl FnMut(&mut Self, &Elem<'a>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        loop {
            match self.next()? {
                Event::Start(start) => {
                    let el = Elem { start };
                    f(self, &el)?;
                }
                Event::End(_) => return Ok(()),
                _ => {}
            }
        }
    }

    /// Skips the rest of the element just entered, end tag included.
    pub(crate) fn skip(&mut self) -> Result<(), Error> {
        let stop = self.depth.saturating_sub(1);
        loop {
            if let Event::End(_) = self.next()? {
                if self.depth <= stop {
                    return Ok(());
                }
            }
        }
    }

    /// The text content of the element just entered, end tag included.
    /// Borrowed from the input unless it holds references or is split by
    /// comments/CDATA. Child markup inside a leaf is skipped.
    pub(crate) fn text(&mut self, el: &Elem<'a>) -> Result<Cow<'a, str>, Error> {
        let mut acc: Cow<'a, str> = Cow::Borrowed("");
        loop {
            match self.next()? {
                Event::Text(t) => {
                    let piece = t.decode().map_err(|_| Error::InvalidUtf8)?;
                    append(&mut acc, piece);
                }
                Event::CData(t) => {
                    let piece = t.decode().map_err(|_| Error::InvalidUtf8)?;
                    append(&mut acc, piece);
                }
                Event::GeneralRef(r) => {
                    let ch = resolve_reference(&r)?;
                    acc.to_mut().push(ch);
                }
                Event::Start(_) => self.skip()?,
                Event::End(_) => return Ok(acc),
                _ => {}
            }
            if acc.len() > self.limits.max_value_bytes {
                return Err(Error::ValueTooLong {
                    element: String::from_utf8_lossy(el.local()).into_owned(),
                    limit: self.limits.max_value_bytes,
                });
            }
        }
    }

    /// Value of the `xsi:type` attribute (an unprefixed `type`, or one with
    /// an undeclared prefix, is accepted too: some stacks get this wrong).
    pub(crate) fn xsi_type<'e>(&self, el: &'e Elem<'a>) -> Option<Cow<'e, [u8]>> {
        for attr in el.start.attributes().with_checks(false).flatten() {
            let (prefix, local) = Self::split_qname(attr.key.as_ref());
            if local != b"type" {
                continue;
            }
            let ok = prefix.is_empty() || self.lookup(prefix).is_none_or(|ns| ns == XSI);
            if ok {
                return Some(attr.value);
            }
        }
        None
    }

    /// The cwmp namespace the root element (the Envelope, where peers
    /// declare `xmlns:cwmp`) binds, if any. Read from the bindings already
    /// recorded rather than by walking the attributes a second time.
    pub(crate) fn declared_cwmp(&self) -> Option<crate::CwmpVersion> {
        self.bindings
            .iter()
            .take_while(|b| b.depth == 1)
            .find_map(|b| crate::CwmpVersion::from_namespace(self.names.get(b.uri.clone())?))
    }
}

fn append<'a>(acc: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if acc.is_empty() {
        *acc = piece;
    } else {
        acc.to_mut().push_str(&piece);
    }
}

fn resolve_reference(r: &BytesRef<'_>) -> Result<char, Error> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(ch)) => Ok(ch),
            _ => Err(Error::InvalidCharRef),
        };
    }
    match &**r {
        b"lt" => Ok('<'),
        b"gt" => Ok('>'),
        b"amp" => Ok('&'),
        b"quot" => Ok('"'),
        b"apos" => Ok('\''),
        other => Err(Error::UnknownEntity(
            String::from_utf8_lossy(other.get(..64).unwrap_or(other)).into_owned(),
        )),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
