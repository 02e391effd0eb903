//! The glue between model types and the XML cursor/writer: every type that
//! can appear as an element implements [`Field`], and `cwmp_struct!`
//! declares a CWMP struct together with its decoder, encoder and
//! `into_owned` from one field table, so the element names live in one place.

use std::borrow::Cow;

use crate::emit::Writer;
use crate::error::Error;
use crate::parse::cursor::{Cursor, Elem};
use crate::value::{parse_bool, Value, ValueType};

/// A type stored as one XML element.
pub(crate) trait Field<'a>: Sized {
    /// Decodes the element whose start tag `el` was just read, consuming
    /// everything up to and including its end tag.
    fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error>;
    /// Writes the element as `<name>...</name>`.
    fn encode(&self, name: &str, w: &mut Writer<'_>);
}

/// An item of a SOAP-encoded array (`soap-enc:arrayType="T[n]"`).
pub(crate) trait ArrayItem<'a>: Field<'a> {
    /// Element name of each item.
    const ITEM: &'static str;
    /// Item type as written in `arrayType`.
    const ARRAY_TYPE: &'static str;
}

impl<'a> Field<'a> for Cow<'a, str> {
    fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error> {
        c.text(el)
    }
    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        w.leaf(name, self);
    }
}

impl<'a> ArrayItem<'a> for Cow<'a, str> {
    const ITEM: &'static str = "string";
    const ARRAY_TYPE: &'static str = "xsd:string";
}

macro_rules! integer_field {
    ($($t:ty => $enc:ident),*) => {$(
        impl<'a> Field<'a> for $t {
            fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error> {
                let text = c.text(el)?;
                text.trim()
                    .parse()
                    .map_err(|_| Error::invalid_value(el.local(), &text))
            }
            fn encode(&self, name: &str, w: &mut Writer<'_>) {
                w.$enc(name, (*self).into());
            }
        }
    )*};
}
integer_field!(u32 => leaf_u64, i32 => leaf_i64);

impl<'a> Field<'a> for bool {
    fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error> {
        let text = c.text(el)?;
        parse_bool(&text).ok_or_else(|| Error::invalid_value(el.local(), &text))
    }
    /// Protocol booleans go out as `1`/`0`: valid xsd:boolean, and the form
    /// CPE firmware that reads flags with `atoi` still understands.
    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        w.leaf(name, if *self { "1" } else { "0" });
    }
}

impl<'a, T: Field<'a>> Field<'a> for Option<T> {
    fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error> {
        T::decode(c, el).map(Some)
    }
    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        if let Some(v) = self {
            v.encode(name, w);
        }
    }
}

/// Arrays: every child element is an item whatever its name, and the
/// declared `arrayType` count is ignored (peers get it wrong).
impl<'a, T: ArrayItem<'a>> Field<'a> for Vec<T> {
    fn decode(c: &mut Cursor<'a>, _el: &Elem<'a>) -> Result<Self, Error> {
        let mut items = Vec::new();
        c.children(|c, item| {
            items.push(T::decode(c, item)?);
            Ok(())
        })?;
        Ok(items)
    }
    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        w.open_array(name, T::ARRAY_TYPE, self.len());
        for item in self {
            item.encode(T::ITEM, w);
        }
        w.close(name);
    }
}

impl<'a> Field<'a> for Value<'a> {
    fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error> {
        let ty = c
            .xsi_type(el)
            .map(|t| ValueType::from_xsi_type(&t))
            .unwrap_or_default();
        Ok(Value {
            ty,
            text: c.text(el)?,
        })
    }
    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        w.open_attr(name, "xsi:type", self.ty.xsi_type());
        w.text(&self.text);
        w.close(name);
    }
}

/// Declares that a type is an array item: `array_item!(Type, "Item", "cwmp:Type")`.
macro_rules! array_item {
    ($t:ident, $item:literal, $array_type:literal) => {
        impl<'a> $crate::codec::ArrayItem<'a> for $t<'a> {
            const ITEM: &'static str = $item;
            const ARRAY_TYPE: &'static str = $array_type;
        }
    };
}
pub(crate) use array_item;

/// Declares a public struct whose fields map to child elements:
///
/// ```text
/// cwmp_struct! {
///     /// docs
///     Name<'a> {
///         field: Type = "ElementName",
///         repeated: Vec<Item<'a>> = many "ElementName",
///     }
/// }
/// ```
///
/// Fields are emitted in table order (the XSD order) and accepted in any
/// order; unknown children are skipped; a missing field keeps its default.
/// `many` marks an element that repeats directly inside the struct (not
/// wrapped in an array). The lifetime, when present, must be called `'a`.
macro_rules! cwmp_struct {
    ($(#[$m:meta])* $name:ident<$lt:lifetime> { $($body:tt)* }) => {
        $crate::codec::cwmp_struct!(@def [$(#[$m])*] $name [<$lt>] [<'static>] { $($body)* });
    };
    ($(#[$m:meta])* $name:ident { $($body:tt)* }) => {
        $crate::codec::cwmp_struct!(@def [$(#[$m])*] $name [] [] { $($body)* });
    };
    (@def [$($m:tt)*] $name:ident [$($lt:tt)*] [$($st:tt)*] {
        $( $(#[$fm:meta])* $field:ident : $ty:ty = $($many:ident)? $elem:literal ),* $(,)?
    }) => {
        $($m)*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        pub struct $name $($lt)* {
            $( $(#[$fm])* pub $field: $ty, )*
        }

        impl<'a> $crate::codec::Field<'a> for $name $($lt)* {
            fn decode(
                c: &mut $crate::parse::cursor::Cursor<'a>,
                _el: &$crate::parse::cursor::Elem<'a>,
            ) -> Result<Self, $crate::error::Error> {
                let mut out = Self::default();
                c.children(|c, child| {
                    let local = child.local();
                    $(
                        if local == $elem.as_bytes() {
                            $crate::codec::cwmp_struct!(@decode $($many)? ; out.$field, c, child);
                            return Ok(());
                        }
                    )*
                    c.skip()
                })?;
                Ok(out)
            }

            fn encode(&self, name: &str, w: &mut $crate::emit::Writer<'_>) {
                w.open(name);
                self.encode_fields(w);
                w.close(name);
            }
        }

        impl $($lt)* $name $($lt)* {
            /// Writes the member elements, in schema order.
            #[allow(dead_code)]
            pub(crate) fn encode_fields(&self, w: &mut $crate::emit::Writer<'_>) {
                $( $crate::codec::cwmp_struct!(@encode $($many)? ; &self.$field, $elem, w); )*
            }
        }

        impl $($lt)* $crate::owned::IntoStatic for $name $($lt)* {
            type Static = $name $($st)*;
            #[allow(clippy::unused_unit)]
            fn into_static(self) -> Self::Static {
                $name { $( $field: $crate::owned::IntoStatic::into_static(self.$field), )* }
            }
        }
    };
    (@decode ; $slot:expr, $c:expr, $el:expr) => {
        $slot = $crate::codec::Field::decode($c, $el)?
    };
    (@decode many ; $slot:expr, $c:expr, $el:expr) => {
        $slot.push($crate::codec::Field::decode($c, $el)?)
    };
    (@encode ; $v:expr, $elem:expr, $w:expr) => {
        $crate::codec::Field::encode($v, $elem, $w)
    };
    (@encode many ; $v:expr, $elem:expr, $w:expr) => {
        for item in $v {
            $crate::codec::Field::encode(item, $elem, $w);
        }
    };
}
pub(crate) use cwmp_struct;
