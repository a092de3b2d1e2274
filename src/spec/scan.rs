//! The first read of a spec file: the YAML event stream into a position tree per document,
//! refusing on the way what must not be loaded further. Each node is charged to the
//! file's [`Budget`] before it is built (an alias as the whole tree it repeats), so no input
//! can make the loader hold more than the limits allow; tags outside the YAML 1.2 core
//! schema and duplicate keys are refused here too, with their positions.

use std::collections::HashMap;
use std::sync::Arc;

use serde_saphyr::granit_parser::{ErrorKind, Event, Parser, Span, StructureStyle, Tag};

use super::limits::{Breach, Budget, Cost, Limits};
use super::positions::{DocumentPositions, Node, NodeKind, Position};
use super::scalars::{self, ScalarType, TagMeaning};

/// One document of a YAML stream: its positions and the byte range of its text.
#[derive(Clone, Debug)]
pub(crate) struct ScannedDocument {
    pub(crate) positions: DocumentPositions,
    /// Byte offset where the document's text starts (just after the previous document).
    pub(crate) start_byte: usize,
    /// Byte offset just past the document's text.
    pub(crate) end_byte: usize,
}

/// Why reading a file stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The text is not YAML. The innermost flow collection (`[` or `{`) still open, if it
    /// opened on an earlier line: an unclosed bracket is the usual cause of such errors.
    Syntax {
        message: String,
        open_bracket: Option<(char, Position)>,
    },
    /// The file went over one of its limits.
    Limit(Breach),
    /// A tag outside the YAML 1.2 core schema, as written.
    UnknownTag(String),
    /// A core tag on a node of another form (`!!map` on a scalar, `!!int` on a list...).
    MisplacedTag(String),
    /// A key written twice in one mapping; the position of the first.
    DuplicateKey { key: String, first: Position },
}

/// A problem and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) position: Position,
    pub(crate) problem: Problem,
}

/// The documents of a stream, up to the first problem if any.
#[derive(Debug, Default)]
pub(crate) struct ScannedStream {
    pub(crate) documents: Vec<ScannedDocument>,
    pub(crate) error: Option<ScanError>,
}

struct Frame {
    position: Position,
    flow: bool,
    anchor: usize,
    cost: Cost,
    shape: Shape,
}

enum Shape {
    Mapping {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        /// Where each scalar key was first written, to refuse a second one.
        seen: HashMap<Arc<str>, Position>,
    },
    Sequence(Vec<Node>),
}

impl Frame {
    fn open_bracket(&self) -> Option<(char, Position)> {
        match (&self.shape, self.flow) {
            (Shape::Mapping { .. }, true) => Some(('{', self.position)),
            (Shape::Sequence(_), true) => Some(('[', self.position)),
            _ => None,
        }
    }
}

/// Reads every document of `text` into position trees, within `limits`. Aliases are
/// expanded (positioned at the alias) so paths through them resolve.
pub(crate) fn scan(text: &str, limits: Limits) -> ScannedStream {
    let mut scanner = Scanner {
        text,
        budget: Budget::new(limits),
        stream: ScannedStream::default(),
        stack: Vec::new(),
        anchors: Vec::new(),
        root: None,
        document_start: 0,
    };
    // The parser's own nesting limits, just above ours: its scanner looks ahead, so on deep
    // flow nesting it may be the one to stop first.
    let options = serde_saphyr::granit_parser::options! {
        flow_nesting_limit: limits.depth + 1,
        block_nesting_limit: limits.depth + 1,
    };
    for next in Parser::new_from_str_with_options(text, options) {
        let result = match next {
            Ok((event, span)) => scanner.event(event, span),
            Err(error) => Err(ScanError {
                position: Position::from_marker(error.marker()),
                problem: match error.kind() {
                    ErrorKind::RecursionLimitExceeded => {
                        Problem::Limit(Breach::Depth(limits.depth))
                    }
                    _ => Problem::Syntax {
                        message: error.info().to_owned(),
                        open_bracket: None,
                    },
                },
            }),
        };
        if let Err(mut error) = result {
            if let Problem::Syntax { open_bracket, .. } = &mut error.problem {
                *open_bracket = scanner
                    .stack
                    .iter()
                    .rev()
                    .find_map(Frame::open_bracket)
                    .filter(|(_, open)| open.line < error.position.line);
            }
            scanner.stream.error = Some(error);
            break;
        }
    }
    scanner.stream
}

struct Scanner<'a> {
    text: &'a str,
    budget: Budget,
    stream: ScannedStream,
    stack: Vec<Frame>,
    /// Anchored nodes of the current document with what they cost expanded.
    anchors: Vec<(usize, Node, Cost)>,
    root: Option<Node>,
    document_start: usize,
}

impl Scanner<'_> {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), ScanError> {
        let at = Position::from_span(&span);
        let refuse = |problem| ScanError {
            position: at,
            problem,
        };
        let completed = match event {
            Event::DocumentStart(..) => {
                self.budget
                    .document()
                    .map_err(|breach| refuse(Problem::Limit(breach)))?;
                self.root = None;
                self.stack.clear();
                self.anchors.clear();
                None
            }
            Event::DocumentEnd => {
                self.end_document(&span);
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let ty = match scalar_tag(tag.as_deref()).map_err(refuse)? {
                    Some(ty) => ty,
                    None => scalars::resolve(&value, style),
                };
                self.budget
                    .scalar(value.len())
                    .map_err(|breach| refuse(Problem::Limit(breach)))?;
                let node = Node {
                    position: at,
                    kind: NodeKind::Scalar {
                        text: Arc::from(value.as_ref()),
                        plain: style == serde_saphyr::granit_parser::ScalarStyle::Plain,
                        ty,
                    },
                };
                Some((node, Cost::scalar(value.len()), anchor))
            }
            Event::Alias(id) => {
                let Some((_, node, cost)) = self.anchors.iter().rev().find(|(a, ..)| *a == id)
                else {
                    return Ok(());
                };
                let (mut node, cost) = (node.clone(), *cost);
                self.budget
                    .alias(cost, self.stack.len())
                    .map_err(|breach| refuse(Problem::Limit(breach)))?;
                node.position = at;
                Some((node, cost, 0))
            }
            Event::MappingStart(style, anchor, tag) => {
                collection_tag(tag.as_deref(), TagMeaning::Mapping).map_err(refuse)?;
                let shape = Shape::Mapping {
                    entries: Vec::new(),
                    pending_key: None,
                    seen: HashMap::new(),
                };
                self.open(at, style, anchor, shape).map_err(refuse)?;
                None
            }
            Event::SequenceStart(style, anchor, tag) => {
                collection_tag(tag.as_deref(), TagMeaning::Sequence).map_err(refuse)?;
                self.open(at, style, anchor, Shape::Sequence(Vec::new()))
                    .map_err(refuse)?;
                None
            }
            Event::MappingEnd | Event::SequenceEnd => self.close(),
            _ => None,
        };
        if let Some((node, cost, anchor)) = completed {
            if anchor != 0 {
                self.anchors.push((anchor, node.clone(), cost));
            }
            self.attach(node, cost)?;
        }
        Ok(())
    }

    fn end_document(&mut self, span: &Span) {
        let end_byte = span.end.byte_offset().unwrap_or(self.text.len());
        if let Some(root) = self.root.take() {
            self.stream.documents.push(ScannedDocument {
                positions: DocumentPositions { root },
                start_byte: self.document_start,
                end_byte,
            });
        }
        self.document_start = end_byte;
    }

    fn open(
        &mut self,
        position: Position,
        style: StructureStyle,
        anchor: usize,
        shape: Shape,
    ) -> Result<(), Problem> {
        self.budget
            .open(self.stack.len() + 1)
            .map_err(Problem::Limit)?;
        self.stack.push(Frame {
            position,
            flow: style == StructureStyle::Flow,
            anchor,
            cost: Cost::collection(),
            shape,
        });
        Ok(())
    }

    fn close(&mut self) -> Option<(Node, Cost, usize)> {
        let frame = self.stack.pop()?;
        let kind = match frame.shape {
            Shape::Mapping { entries, .. } => NodeKind::Mapping(entries),
            Shape::Sequence(items) => NodeKind::Sequence(items),
        };
        let node = Node {
            position: frame.position,
            kind,
        };
        Some((node, frame.cost, frame.anchor))
    }

    fn attach(&mut self, node: Node, cost: Cost) -> Result<(), ScanError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.cost.add_child(cost);
        match &mut frame.shape {
            Shape::Sequence(items) => items.push(node),
            Shape::Mapping {
                entries,
                pending_key,
                seen,
            } => match pending_key.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    if let NodeKind::Scalar { text, .. } = &node.kind
                        && let Some(first) = seen.insert(Arc::clone(text), node.position)
                    {
                        return Err(ScanError {
                            position: node.position,
                            problem: Problem::DuplicateKey {
                                key: text.to_string(),
                                first,
                            },
                        });
                    }
                    *pending_key = Some(node);
                }
            },
        }
        Ok(())
    }
}

/// The type a scalar's tag gives it, if it has one.
fn scalar_tag(tag: Option<&Tag>) -> Result<Option<ScalarType>, Problem> {
    match scalars::tag_meaning(tag).map_err(|e| Problem::UnknownTag(e.0))? {
        TagMeaning::Untagged => Ok(None),
        TagMeaning::Scalar(ty) => Ok(Some(ty)),
        TagMeaning::Mapping => Err(Problem::MisplacedTag("!!map".to_owned())),
        TagMeaning::Sequence => Err(Problem::MisplacedTag("!!seq".to_owned())),
    }
}

/// Checks a collection's tag: none, or the core tag of its form.
fn collection_tag(tag: Option<&Tag>, form: TagMeaning) -> Result<(), Problem> {
    match scalars::tag_meaning(tag).map_err(|e| Problem::UnknownTag(e.0))? {
        TagMeaning::Untagged => Ok(()),
        meaning if meaning == form => Ok(()),
        TagMeaning::Scalar(ty) => Err(Problem::MisplacedTag(format!(
            "!!{}",
            match ty {
                ScalarType::Null => "null",
                ScalarType::Bool => "bool",
                ScalarType::Int => "int",
                ScalarType::Float => "float",
                ScalarType::Str => "str",
            }
        ))),
        TagMeaning::Mapping => Err(Problem::MisplacedTag("!!map".to_owned())),
        TagMeaning::Sequence => Err(Problem::MisplacedTag("!!seq".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::limits::LIMITS;

    fn problem(text: &str) -> (u32, u32, Problem) {
        let error = scan(text, LIMITS).error.expect("refused");
        (error.position.line, error.position.column, error.problem)
    }

    #[test]
    fn aliases_are_charged_as_what_they_repeat() {
        let mut text = String::from("l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for level in 1..6 {
            let refs = vec![format!("*l{}", level - 1); 10].join(", ");
            text.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
        }
        // `l4`, on line 5, stands for 10^5 scalars: the limit is passed there.
        let (line, _, found) = problem(&text);
        assert_eq!(
            (line, found),
            (5, Problem::Limit(Breach::Nodes(LIMITS.nodes)))
        );
        // The same aliases, fewer of them, load.
        let small = text.lines().take(4).collect::<Vec<_>>().join("\n");
        assert_eq!(scan(&small, LIMITS).error, None);
    }

    #[test]
    fn nesting_is_limited_in_both_styles_and_through_aliases() {
        let flow = format!("a: {}{}", "[".repeat(5_000), "]".repeat(5_000));
        let block: String = (0..100)
            .map(|depth| format!("{}k:\n", "  ".repeat(depth)))
            .collect();
        for text in [flow, block] {
            let (.., found) = problem(&text);
            assert_eq!(found, Problem::Limit(Breach::Depth(LIMITS.depth)));
        }
        let deep = format!("a: &a {}{}\n", "[".repeat(40), "]".repeat(40));
        let (line, column, found) = problem(&format!(
            "{deep}b: {}*a{}\n",
            "[".repeat(30),
            "]".repeat(30)
        ));
        assert_eq!((line, column), (2, 34));
        assert_eq!(found, Problem::Limit(Breach::Depth(LIMITS.depth)));
    }

    #[test]
    fn duplicate_keys_name_both_positions_and_tags_are_checked() {
        let (line, column, found) = problem("a: 1\nb:\n  c: 1\n  c: 2\n");
        assert_eq!((line, column), (4, 3));
        assert_eq!(
            found,
            Problem::DuplicateKey {
                key: "c".into(),
                first: Position {
                    line: 3,
                    column: 3,
                    width: 1
                }
            }
        );
        assert_eq!(
            problem("a: !!binary aGk=\n").2,
            Problem::UnknownTag("!!binary".into())
        );
        assert_eq!(
            problem("a: !!str {b: 1}\n").2,
            Problem::MisplacedTag("!!str".into())
        );
        assert_eq!(scan("a: !!str 1\nb: !!map {}\n", LIMITS).error, None);
    }
}
