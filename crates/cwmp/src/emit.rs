//! XML output. Writes straight into a byte buffer; no DOM, no formatter.

pub(crate) struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

impl<'o> Writer<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        Writer { out }
    }

    pub(crate) fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.out.push(b'<');
        self.raw(name);
        self.out.push(b'>');
    }

    /// Opens an element carrying one attribute whose value we control.
    pub(crate) fn open_attr(&mut self, name: &str, attr: &str, value: &str) {
        self.out.push(b'<');
        self.raw(name);
        self.out.push(b' ');
        self.raw(attr);
        self.raw("=\"");
        self.raw(value);
        self.raw("\">");
    }

    /// Opens a SOAP-encoded array, `soap-enc:arrayType="<item_type>[<len>]"`.
    pub(crate) fn open_array(&mut self, name: &str, item_type: &str, len: usize) {
        self.out.push(b'<');
        self.raw(name);
        self.raw(" soap-enc:arrayType=\"");
        self.raw(item_type);
        self.out.push(b'[');
        self.raw(itoa(len as u64, &mut [0; 20]));
        self.raw("]\">");
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.raw("</");
        self.raw(name);
        self.out.push(b'>');
    }

    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.text(text);
        self.close(name);
    }

    pub(crate) fn leaf_u64(&mut self, name: &str, v: u64) {
        self.open(name);
        self.raw(itoa(v, &mut [0; 20]));
        self.close(name);
    }

    pub(crate) fn leaf_i64(&mut self, name: &str, v: i64) {
        self.open(name);
        if v < 0 {
            self.out.push(b'-');
        }
        self.raw(itoa(v.unsigned_abs(), &mut [0; 20]));
        self.close(name);
    }

    /// Escaped character data. `\r` is written as a reference because XML
    /// parsers normalise a literal CR away, which would lose it.
    pub(crate) fn text(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut last = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let rep: &[u8] = match b {
                b'<' => b"&lt;",
                b'>' => b"&gt;",
                b'&' => b"&amp;",
                b'\r' => b"&#13;",
                _ => continue,
            };
            self.out
                .extend_from_slice(bytes.get(last..i).unwrap_or_default());
            self.out.extend_from_slice(rep);
            last = i + 1;
        }
        self.out
            .extend_from_slice(bytes.get(last..).unwrap_or_default());
    }
}

/// Formats an integer without going through `fmt` (this is on the hot path
/// of every array and numeric field).
pub(crate) fn itoa(mut v: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_cr() {
        let mut out = Vec::new();
        Writer::new(&mut out).text("a<b>&c\"d'\r\ne");
        assert_eq!(out, b"a&lt;b&gt;&amp;c\"d'&#13;\ne");
    }

    #[test]
    fn integers() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.leaf_u64("a", 0);
        w.leaf_u64("b", u64::MAX);
        w.leaf_i64("c", i64::MIN);
        w.open_array("L", "xsd:string", 12);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<a>0</a><b>18446744073709551615</b><c>-9223372036854775808</c><L soap-enc:arrayType=\"xsd:string[12]\">"
        );
    }
}
