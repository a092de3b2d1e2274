//! What type a YAML scalar is, by the YAML 1.2 core schema, the schema Kubernetes (and so
//! `kubectl`) reads manifests with: `yes`, `on` and `0755`-style octals are text, a quoted
//! scalar is always text, and only the core tags (`!!str`, `!!int`, ...) are understood.
//! The loader holds each scalar to the type the kind's JSON Schema gives its field, so a
//! file means the same through projectlink and through `kubectl`.

use serde_saphyr::granit_parser::{ScalarStyle, Tag};

/// A scalar's type under the YAML 1.2 core schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarType {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl ScalarType {
    /// The JSON Schema type name it satisfies (an integer also satisfies `number`).
    pub(crate) fn json_type(self) -> &'static str {
        match self {
            ScalarType::Null => "null",
            ScalarType::Bool => "boolean",
            ScalarType::Int => "integer",
            ScalarType::Float => "number",
            ScalarType::Str => "string",
        }
    }
}

const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// What a node's explicit tag says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagMeaning {
    /// No tag, or the non-specific `!`: the node's own form decides.
    Untagged,
    /// A core scalar tag.
    Scalar(ScalarType),
    /// `!!map`.
    Mapping,
    /// `!!seq`.
    Sequence,
}

/// A tag outside the core schema, as written (`!!binary`, `!custom`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UnknownTag(pub String);

/// Reads a tag; `Err` holds the tag as written, for a tag outside the core schema.
pub(crate) fn tag_meaning(tag: Option<&Tag>) -> Result<TagMeaning, UnknownTag> {
    let Some(tag) = tag else {
        return Ok(TagMeaning::Untagged);
    };
    if tag.handle() == "!" && tag.suffix().is_empty() {
        return Ok(TagMeaning::Untagged);
    }
    if tag.handle() == CORE_PREFIX {
        let meaning = match tag.suffix() {
            "str" => Some(TagMeaning::Scalar(ScalarType::Str)),
            "int" => Some(TagMeaning::Scalar(ScalarType::Int)),
            "float" => Some(TagMeaning::Scalar(ScalarType::Float)),
            "bool" => Some(TagMeaning::Scalar(ScalarType::Bool)),
            "null" => Some(TagMeaning::Scalar(ScalarType::Null)),
            "map" => Some(TagMeaning::Mapping),
            "seq" => Some(TagMeaning::Sequence),
            _ => None,
        };
        if let Some(meaning) = meaning {
            return Ok(meaning);
        }
        return Err(UnknownTag(format!("!!{}", tag.suffix())));
    }
    Err(UnknownTag(format!("{}{}", tag.handle(), tag.suffix())))
}

/// The type of an untagged scalar: quoted and block scalars are text; a plain scalar is
/// resolved by the core schema.
pub(crate) fn resolve(text: &str, style: ScalarStyle) -> ScalarType {
    if style != ScalarStyle::Plain {
        return ScalarType::Str;
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => ScalarType::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarType::Bool,
        _ if is_core_int(text) => ScalarType::Int,
        _ if is_core_float(text) => ScalarType::Float,
        _ => ScalarType::Str,
    }
}

fn all(text: &str, accept: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.bytes().all(accept)
}

fn unsigned(text: &str) -> &str {
    text.strip_prefix(['-', '+']).unwrap_or(text)
}

/// `[-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+`
fn is_core_int(text: &str) -> bool {
    if let Some(octal) = text.strip_prefix("0o") {
        return all(octal, |b| (b'0'..=b'7').contains(&b));
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all(hex, |b| b.is_ascii_hexdigit());
    }
    all(unsigned(text), |b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.inf | \.nan` (each
/// special in its three spellings).
fn is_core_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let number = unsigned(text);
    if matches!(number, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let (mantissa, exponent) = match number.find(['e', 'E']) {
        Some(at) => (&number[..at], Some(&number[at + 1..])),
        None => (number, None),
    };
    if let Some(exponent) = exponent
        && !all(unsigned(exponent), |b| b.is_ascii_digit())
    {
        return false;
    }
    match mantissa.split_once('.') {
        Some(("", fraction)) => all(fraction, |b| b.is_ascii_digit()),
        Some((whole, fraction)) => {
            all(whole, |b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => all(mantissa, |b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> ScalarType {
        resolve(text, ScalarStyle::Plain)
    }

    #[test]
    fn plain_scalars_resolve_by_the_core_schema() {
        for text in ["", "~", "null", "NULL"] {
            assert_eq!(plain(text), ScalarType::Null, "{text:?}");
        }
        for text in ["true", "False", "TRUE"] {
            assert_eq!(plain(text), ScalarType::Bool, "{text:?}");
        }
        for text in ["0", "30", "-7", "+12", "0o17", "0xFF", "0755"] {
            assert_eq!(plain(text), ScalarType::Int, "{text:?}");
        }
        for text in ["1.5", "-.5", "1.", "1e3", "2.5E-3", ".inf", "-.Inf", ".NaN"] {
            assert_eq!(plain(text), ScalarType::Float, "{text:?}");
        }
        // YAML 1.1's booleans, sexagesimals and underscores are text in YAML 1.2.
        for text in [
            "yes", "no", "on", "off", "y", "tRue", "1_000", "1:30", "0b101", "0x", "e3", ".", "1e",
            "12a", "+", "-",
        ] {
            assert_eq!(plain(text), ScalarType::Str, "{text:?}");
        }
    }

    #[test]
    fn quoted_and_block_scalars_are_text() {
        for style in [
            ScalarStyle::SingleQuoted,
            ScalarStyle::DoubleQuoted,
            ScalarStyle::Literal,
            ScalarStyle::Folded,
        ] {
            assert_eq!(resolve("true", style), ScalarType::Str);
            assert_eq!(resolve("30", style), ScalarType::Str);
        }
    }

    #[test]
    fn only_core_tags_are_understood() {
        let core = |suffix: &str| Tag::new(CORE_PREFIX, suffix);
        assert_eq!(tag_meaning(None), Ok(TagMeaning::Untagged));
        assert_eq!(
            tag_meaning(Some(&core("int"))),
            Ok(TagMeaning::Scalar(ScalarType::Int))
        );
        assert_eq!(tag_meaning(Some(&core("map"))), Ok(TagMeaning::Mapping));
        assert_eq!(
            tag_meaning(Some(&core("binary"))),
            Err(UnknownTag("!!binary".to_owned()))
        );
        assert_eq!(
            tag_meaning(Some(&Tag::new("!", "custom"))),
            Err(UnknownTag("!custom".to_owned()))
        );
        assert_eq!(
            tag_meaning(Some(&Tag::new("!", ""))),
            Ok(TagMeaning::Untagged)
        );
    }
}
