//! Field paths such as `spec.relatedLists.modules[1].module`: how diagnostics name the node
//! they are about, and how source positions are looked up.

use std::fmt;

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key, as spelled in the YAML (camelCase).
    Key(String),
    /// A sequence index, zero-based.
    Index(usize),
}

/// A path from a document's root to one of its nodes. The empty path is the root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath {
    segments: Vec<Segment>,
}

impl FieldPath {
    /// The document root.
    pub fn root() -> Self {
        FieldPath::default()
    }

    /// Parses `a.b[2].c`; keys are separated by dots, indices written in brackets.
    /// Returns `None` for malformed text (empty key, unclosed or non-numeric index).
    pub fn parse(text: &str) -> Option<Self> {
        let mut path = FieldPath::root();
        if text.is_empty() {
            return Some(path);
        }
        for part in text.split('.') {
            let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
            if key.is_empty() || key.contains(']') {
                return None;
            }
            path.segments.push(Segment::Key(key.to_owned()));
            while !rest.is_empty() {
                let inner = rest.strip_prefix('[')?;
                let close = inner.find(']')?;
                path.segments
                    .push(Segment::Index(inner[..close].parse().ok()?));
                rest = &inner[close + 1..];
            }
        }
        Some(path)
    }

    /// This path extended by a key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.segments.push(Segment::Key(key.into()));
        next
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.segments.push(Segment::Index(index));
        next
    }

    /// The path without its last segment (the root stays the root).
    pub fn parent(&self) -> Self {
        let mut parent = self.clone();
        parent.segments.pop();
        parent
    }

    /// The steps of the path.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether this is the document root.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_text() {
        for text in [
            "",
            "spec",
            "spec.relatedLists.modules[1].module",
            "a[0][2].b",
        ] {
            let path = FieldPath::parse(text).expect(text);
            assert_eq!(path.to_string(), text);
        }
        let built = FieldPath::root()
            .key("spec")
            .key("relatedLists")
            .key("modules")
            .index(1);
        assert_eq!(built.to_string(), "spec.relatedLists.modules[1]");
        assert_eq!(built.parent().to_string(), "spec.relatedLists.modules");
    }

    #[test]
    fn malformed_paths_are_rejected() {
        for text in [
            "spec..a", ".spec", "spec.", "a[x]", "a[1", "a]", "[0]", "a[0]b",
        ] {
            assert_eq!(FieldPath::parse(text), None, "{text}");
        }
    }
}
