//! Where each node of a YAML document sits in its file. The typed types carry no positions,
//! so the text is also read with the YAML event parser (in `scan.rs`) into a small tree of
//! positions, which maps a field path to line:column for semantic diagnostics.

use std::sync::Arc;

use serde_saphyr::granit_parser::{Marker, Span};

use super::path::{FieldPath, Segment};
use super::scalars::ScalarType;

/// A point in a source file: 1-based line and column (columns count characters), plus how
/// many characters the node spans on that line (for carets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Line, starting at 1.
    pub line: u32,
    /// Column in characters, starting at 1.
    pub column: u32,
    /// Width of the node on its first line, at least 1.
    pub width: u32,
}

impl Position {
    pub(crate) fn from_span(span: &Span) -> Self {
        let width = if span.end.line() == span.start.line() {
            span.end.index().saturating_sub(span.start.index()).max(1)
        } else {
            1
        };
        Position {
            line: to_u32(span.start.line()),
            column: to_u32(span.start.col() + 1),
            width: to_u32(width),
        }
    }

    pub(crate) fn from_marker(marker: &Marker) -> Self {
        Position {
            line: to_u32(marker.line()),
            column: to_u32(marker.col() + 1),
            width: 1,
        }
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A YAML node with its position.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) position: Position,
    pub(crate) kind: NodeKind,
}

#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    Scalar {
        text: Arc<str>,
        plain: bool,
        /// Its type by the YAML 1.2 core schema (or its tag).
        ty: ScalarType,
    },
    Mapping(Vec<(Node, Node)>),
    Sequence(Vec<Node>),
}

impl Node {
    /// The text of a scalar node.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether the node is YAML null (an empty or `null`/`~` plain scalar).
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true, .. }
            if matches!(&**text, "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The key node and value node of a mapping entry.
    pub(crate) fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            NodeKind::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    fn item(&self, index: usize) -> Option<&Node> {
        match &self.kind {
            NodeKind::Sequence(items) => items.get(index),
            _ => None,
        }
    }

    /// Records every node starting exactly at `line:column` with its path, outermost first.
    fn nodes_starting_at<'a>(
        &'a self,
        line: u32,
        column: u32,
        path: &FieldPath,
        found: &mut Vec<(FieldPath, &'a Node)>,
    ) {
        if self.position.line == line && self.position.column == column {
            found.push((path.clone(), self));
        }
        match &self.kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Mapping(entries) => {
                for (key, value) in entries {
                    let Some(name) = key.scalar() else { continue };
                    let child = path.key(name);
                    if key.position.line == line && key.position.column == column {
                        found.push((child.clone(), key));
                    }
                    value.nodes_starting_at(line, column, &child, found);
                }
            }
            NodeKind::Sequence(items) => {
                for (index, item) in items.iter().enumerate() {
                    item.nodes_starting_at(line, column, &path.index(index), found);
                }
            }
        }
    }
}

/// Positions of one YAML document.
#[derive(Clone, Debug)]
pub struct DocumentPositions {
    pub(crate) root: Node,
}

impl DocumentPositions {
    /// Position of the node at `path` (for a mapping entry: its value), or `None` when the
    /// path is not written in the document.
    pub fn value(&self, path: &FieldPath) -> Option<Position> {
        self.node(path).map(|node| node.position)
    }

    /// Position of the key of the mapping entry at `path` (for an index: the item).
    pub fn key(&self, path: &FieldPath) -> Option<Position> {
        let (last, _) = path.segments().split_last()?;
        let parent = self.node(&path.parent())?;
        match last {
            Segment::Key(name) => parent.entry(name).map(|(key, _)| key.position),
            Segment::Index(index) => parent.item(*index).map(|item| item.position),
        }
    }

    /// Best position for a diagnostic about `path`: the node itself when written, otherwise
    /// the key of its closest written ancestor (a defaulted field is reported where its
    /// parent is), otherwise the document start.
    pub fn nearest(&self, path: &FieldPath) -> Position {
        if let Some(position) = self.value(path) {
            return position;
        }
        let mut ancestor = path.parent();
        loop {
            if ancestor.is_root() {
                return self.root.position;
            }
            if let Some(position) = self.key(&ancestor) {
                return position;
            }
            ancestor = ancestor.parent();
        }
    }

    /// The path of the node at `line:column`. With `enclosing_mapping`, the path of the
    /// mapping that location is in instead: serde reports a missing field at the mapping's
    /// start or at the last key it read.
    pub fn path_at(&self, line: u32, column: u32, enclosing_mapping: bool) -> Option<FieldPath> {
        let mut found = Vec::new();
        self.root
            .nodes_starting_at(line, column, &FieldPath::root(), &mut found);
        if enclosing_mapping {
            if let Some((path, _)) = found
                .iter()
                .rev()
                .find(|(_, node)| matches!(node.kind, NodeKind::Mapping(_)))
            {
                return Some(path.clone());
            }
            return found.pop().map(|(path, _)| path.parent());
        }
        found.pop().map(|(path, _)| path)
    }

    pub(crate) fn node(&self, path: &FieldPath) -> Option<&Node> {
        let mut node = &self.root;
        for segment in path.segments() {
            node = match segment {
                Segment::Key(name) => node.entry(name)?.1,
                Segment::Index(index) => node.item(*index)?,
            };
        }
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::limits::LIMITS;
    use crate::spec::scan::{Problem, scan as scan_with};

    fn scan(text: &str) -> crate::spec::scan::ScannedStream {
        scan_with(text, LIMITS)
    }

    fn path(text: &str) -> FieldPath {
        FieldPath::parse(text).unwrap()
    }

    const TEXT: &str = "\
a: 1
spec:
  modules:
    - module: Deals
    - {module: Accounts, extra: [x, y]}
---
second: &anchor {k: v}
copy: *anchor
";

    #[test]
    fn positions_resolve_paths_in_block_and_flow_style() {
        let stream = scan(TEXT);
        assert_eq!(stream.error, None);
        assert_eq!(stream.documents.len(), 2);
        let first = &stream.documents[0].positions;
        let at = |p: &str| first.value(&path(p)).map(|p| (p.line, p.column, p.width));
        assert_eq!(at("a"), Some((1, 4, 1)));
        assert_eq!(at("spec.modules[0].module"), Some((4, 15, 5)));
        assert_eq!(at("spec.modules[1].module"), Some((5, 16, 8)));
        assert_eq!(at("spec.modules[1].extra[1]"), Some((5, 37, 1)));
        assert_eq!(at("spec.modules[2]"), None);
        let key = first.key(&path("spec.modules")).unwrap();
        assert_eq!((key.line, key.column), (3, 3));
    }

    #[test]
    fn nearest_falls_back_to_the_closest_written_ancestor() {
        let stream = scan(TEXT);
        let first = &stream.documents[0].positions;
        let near = first.nearest(&path("spec.modules[0].fieldMap[0].crmField"));
        assert_eq!((near.line, near.column), (4, 7));
        let near = first.nearest(&path("spec.policy.prune"));
        assert_eq!((near.line, near.column), (2, 1));
    }

    #[test]
    fn documents_record_their_byte_ranges_and_aliases_expand() {
        let stream = scan(TEXT);
        let (first, second) = (&stream.documents[0], &stream.documents[1]);
        assert_eq!(first.start_byte, 0);
        assert!(TEXT[first.end_byte..].starts_with("---"));
        assert_eq!(second.start_byte, first.end_byte);
        assert_eq!(second.end_byte, TEXT.len());
        // The alias itself is where it is used; what it copies stays where it is defined.
        let copy = second.positions.value(&path("copy")).unwrap();
        assert_eq!((copy.line, copy.column), (8, 7));
        let copied = second.positions.value(&path("copy.k")).unwrap();
        assert_eq!((copied.line, copied.column), (7, 21));
    }

    #[test]
    fn path_at_finds_keys_and_mappings() {
        let stream = scan(TEXT);
        let first = &stream.documents[0].positions;
        assert_eq!(
            first.path_at(4, 7, false).map(|p| p.to_string()),
            Some("spec.modules[0].module".into())
        );
        assert_eq!(
            first.path_at(4, 7, true).map(|p| p.to_string()),
            Some("spec.modules[0]".into())
        );
        // A later key of a mapping stands for the mapping.
        assert_eq!(
            first.path_at(2, 1, true).map(|p| p.to_string()),
            Some(String::new())
        );
    }

    #[test]
    fn syntax_errors_keep_the_documents_before_them() {
        let stream = scan("a: 1\n---\nb: [x\n");
        assert_eq!(stream.documents.len(), 1);
        let error = stream.error.expect("syntax error");
        assert_eq!(error.position.line, 3);
        let Problem::Syntax {
            message,
            open_bracket,
        } = error.problem
        else {
            panic!("not a syntax error: {:?}", error.problem)
        };
        assert!(message.contains("unclosed"), "{message}");
        assert_eq!(open_bracket, None, "opened on the error's own line");
        let stream = scan(
            "a: [x,
  y
b: 1
",
        );
        let error = stream.error.expect("syntax error");
        let Problem::Syntax { open_bracket, .. } = error.problem else {
            panic!("not a syntax error: {:?}", error.problem)
        };
        let (bracket, open) = open_bracket.expect("open bracket");
        assert_eq!((bracket, open.line, open.column), ('[', 1, 4));
    }
}
