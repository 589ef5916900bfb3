//! A strict reading of request bodies and queries. serde and serde_json are lenient in ways a
//! public API must not be: a struct may be filled from an array by position, a field no type
//! declares is skipped, and `84.0` is refused for an integer although JSON Schema counts it as
//! one. [`Strict`] wraps any deserializer and, at every depth, reads structs from objects (maps)
//! only, refuses fields the type does not declare, takes integral floats for integers, and
//! refuses control characters (NUL among them) in every string. An integer outside its type's
//! range and a string with a control character are marked with [`INVALID_VALUE`] so the caller
//! answers them like any other value the API refuses.
//!
//! Written here because no crate does this: `serde_ignored` reports unknown fields only, and the
//! position-filled struct is serde_json's fixed behaviour. Each wrapper forwards every call and
//! wraps what it hands on, so the rules hold inside nested values too.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

/// Starts the message of a value of the right type that is refused: an integer outside its
/// type's range, a string with a control character.
pub const INVALID_VALUE: &str = "invalid value: ";

/// The message of a field the type does not declare; the path names the field.
pub const UNKNOWN_FIELD: &str = "unknown field";

/// A deserializer with the strict rules applied at every depth.
pub struct Strict<D>(pub D);

/// The inclusive range an integer target accepts.
#[derive(Clone, Copy)]
struct Range {
    min: i128,
    max: i128,
}

macro_rules! forward {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap::any(visitor))
        }
    )*};
}

/// Integers are read as the widest type that can hold every value of the target and its
/// negatives (`i64`, or `u64` for `u64`), then range-checked, so that `-1` or `70000` for a
/// `u16` is "out of range" from every format (a query string included), never a parse error.
macro_rules! integer {
    ($($method:ident => $ty:ty as $wide:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            let range = Range { min: <$ty>::MIN as i128, max: <$ty>::MAX as i128 };
            self.0.$wide(Wrap { visitor, range: Some(range) })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
    );
    integer!(
        deserialize_i8 => i8 as deserialize_i64, deserialize_i16 => i16 as deserialize_i64,
        deserialize_i32 => i32 as deserialize_i64, deserialize_i64 => i64 as deserialize_i64,
        deserialize_u8 => u8 as deserialize_i64, deserialize_u16 => u16 as deserialize_i64,
        deserialize_u32 => u32 as deserialize_i64, deserialize_u64 => u64 as deserialize_u64,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap::any(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap::any(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap::any(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap::any(visitor))
    }

    /// A struct is read as a map: an array is then refused with "expected struct …".
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Wrap::any(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap::any(visitor))
    }

    /// serde skips the value of a field the type does not declare through here.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, D::Error> {
        Err(de::Error::custom(UNKNOWN_FIELD))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested values are read strictly; `range` is set for integer targets.
struct Wrap<V> {
    visitor: V,
    range: Option<Range>,
}

impl<V> Wrap<V> {
    fn any(visitor: V) -> Self {
        Wrap { visitor, range: None }
    }

    fn check<E: de::Error>(&self, value: i128) -> Result<(), E> {
        match self.range {
            Some(r) if value < r.min || value > r.max => {
                Err(E::custom(format!("{INVALID_VALUE}{value} is not within {}..={}", r.min, r.max)))
            }
            _ => Ok(()),
        }
    }
}

macro_rules! visit_int {
    ($($method:ident => $ty:ty),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.check(i128::from(v))?;
            self.visitor.$method(v)
        }
    )*};
}

macro_rules! visit_plain {
    ($($method:ident => $ty:ty),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.visitor.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    visit_int!(
        visit_i8 => i8, visit_i16 => i16, visit_i32 => i32, visit_i64 => i64,
        visit_u8 => u8, visit_u16 => u16, visit_u32 => u32, visit_u64 => u64,
    );
    visit_plain!(
        visit_bool => bool, visit_i128 => i128, visit_u128 => u128, visit_f32 => f32, visit_char => char,
        visit_bytes => &[u8], visit_byte_buf => Vec<u8>,
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        printable(v)?;
        self.visitor.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        printable(&v)?;
        self.visitor.visit_string(v)
    }

    /// An integral float is an integer to JSON Schema: `84.0` is read as 84 for an integer target.
    #[allow(clippy::cast_possible_truncation, reason = "checked: integral and within ±2^63 before the cast")]
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if self.range.is_none() || v.fract() != 0.0 {
            return self.visitor.visit_f64(v);
        }
        // Beyond ±2^63 the value is outside every integer target, whole or not.
        if v.abs() >= 2f64.powi(63) {
            return Err(E::custom(format!("{INVALID_VALUE}{v} is too large for an integer")));
        }
        let whole = v as i64;
        self.check(i128::from(whole))?;
        match u64::try_from(whole) {
            Ok(unsigned) => self.visitor.visit_u64(unsigned),
            Err(_) => self.visitor.visit_i64(whole),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        printable(v)?;
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        self.visitor.visit_borrowed_bytes(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(Seq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(Map(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(Enum(data))
    }
}

/// No name or value of the API holds a control character: NUL, a line break or an escape
/// sequence in a stored setting or name would reach logs, config files and terminals.
fn printable<E: de::Error>(v: &str) -> Result<(), E> {
    match v.chars().find(|c| c.is_control()) {
        Some(c) => Err(E::custom(format!("{INVALID_VALUE}control character U+{:04X} in a string", u32::from(c)))),
        None => Ok(()),
    }
}

/// A seed whose value is read strictly.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

struct Seq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct Map<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct Enum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        self.0.variant_seed(Seed(seed)).map(|(value, variant)| (value, Variant(variant)))
    }
}

struct Variant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap::any(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap::any(visitor))
    }
}
