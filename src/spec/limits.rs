//! The limits a spec file must keep, so that no input, however hostile, can make loading
//! use unbounded memory or time: a few hundred bytes of nested aliases ("billion laughs")
//! expand to billions of nodes, so nodes and text are counted as they would be after alias
//! expansion, and the file is refused before anything is built past a limit.
//!
//! A real spec is a few kilobytes with a nesting depth under ten; every limit here is
//! orders of magnitude above that.

use std::fmt;

/// The limits of one load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file (or standard input) read, in bytes.
    pub file_bytes: usize,
    /// Most documents in one file.
    pub documents: usize,
    /// Deepest nesting of mappings and lists.
    pub depth: usize,
    /// Most nodes (scalars, mappings, lists) in one file, each alias counted as the nodes it
    /// stands for.
    pub nodes: usize,
    /// Longest single scalar, in bytes.
    pub scalar_bytes: usize,
    /// Most text in all scalars of one file, in bytes, each alias counted as the text it
    /// stands for.
    pub text_bytes: usize,
}

/// The limits every load keeps.
pub const LIMITS: Limits = Limits {
    file_bytes: 16 * 1024 * 1024,
    documents: 1_000,
    depth: 64,
    nodes: 100_000,
    scalar_bytes: 64 * 1024,
    text_bytes: 16 * 1024 * 1024,
};

/// Which limit a file went over, and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Breach {
    FileBytes(usize),
    Documents(usize),
    Depth(usize),
    Nodes(usize),
    ScalarBytes(usize),
    TextBytes(usize),
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Breach::FileBytes(limit) => {
                write!(f, "file is larger than the limit of {}", bytes(limit))
            }
            Breach::Documents(limit) => {
                write!(f, "more documents than the limit of {limit}")
            }
            Breach::Depth(limit) => {
                write!(f, "nesting deeper than the limit of {limit} levels")
            }
            Breach::Nodes(limit) => write!(
                f,
                "more nodes than the limit of {limit} (aliases count as the nodes they repeat)"
            ),
            Breach::ScalarBytes(limit) => {
                write!(f, "value longer than the limit of {}", bytes(limit))
            }
            Breach::TextBytes(limit) => write!(
                f,
                "more text than the limit of {} (aliases count as the text they repeat)",
                bytes(limit)
            ),
        }
    }
}

impl Breach {
    /// What to do about it.
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            Breach::FileBytes(_) | Breach::Documents(_) => "split the resources into several files",
            Breach::Depth(_) => {
                "a spec nests a few levels deep; check the indentation and brackets"
            }
            Breach::Nodes(_) | Breach::TextBytes(_) => {
                "split large specs into several files; an alias (*name) counts as everything it repeats"
            }
            Breach::ScalarBytes(_) => "no setting of a spec takes a value this long",
        }
    }
}

fn bytes(count: usize) -> String {
    if count >= 1024 * 1024 && count.is_multiple_of(1024 * 1024) {
        format!("{} MiB", count / (1024 * 1024))
    } else if count >= 1024 && count.is_multiple_of(1024) {
        format!("{} KiB", count / 1024)
    } else {
        format!("{count} bytes")
    }
}

/// What a node costs once its aliases are expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    /// Nodes, the node itself included.
    pub(crate) nodes: usize,
    /// Bytes of scalar text.
    pub(crate) bytes: usize,
    /// Levels of nesting below and including the node (0 for a scalar).
    pub(crate) height: usize,
}

impl Cost {
    /// A scalar of `bytes` bytes.
    pub(crate) fn scalar(bytes: usize) -> Self {
        Cost {
            nodes: 1,
            bytes,
            height: 0,
        }
    }

    /// An empty mapping or list.
    pub(crate) fn collection() -> Self {
        Cost {
            nodes: 1,
            bytes: 0,
            height: 1,
        }
    }

    /// Adds a child's cost to its collection's.
    pub(crate) fn add_child(&mut self, child: Cost) {
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.height = self.height.max(child.height.saturating_add(1));
    }
}

/// What a file has used so far, charged node by node as it is read.
#[derive(Debug)]
pub(crate) struct Budget {
    limits: Limits,
    nodes: usize,
    bytes: usize,
    documents: usize,
}

impl Budget {
    pub(crate) fn new(limits: Limits) -> Self {
        Budget {
            limits,
            nodes: 0,
            bytes: 0,
            documents: 0,
        }
    }

    /// Charges a new document.
    pub(crate) fn document(&mut self) -> Result<(), Breach> {
        self.documents += 1;
        if self.documents > self.limits.documents {
            return Err(Breach::Documents(self.limits.documents));
        }
        Ok(())
    }

    /// Charges a collection opened at nesting `depth` (1 for a document's root).
    pub(crate) fn open(&mut self, depth: usize) -> Result<(), Breach> {
        if depth > self.limits.depth {
            return Err(Breach::Depth(self.limits.depth));
        }
        self.charge(Cost::scalar(0))
    }

    /// Charges a scalar of `bytes` bytes.
    pub(crate) fn scalar(&mut self, bytes: usize) -> Result<(), Breach> {
        if bytes > self.limits.scalar_bytes {
            return Err(Breach::ScalarBytes(self.limits.scalar_bytes));
        }
        self.charge(Cost::scalar(bytes))
    }

    /// Charges an alias standing for a node of cost `cost`, placed at nesting `depth`
    /// (the number of collections around it).
    pub(crate) fn alias(&mut self, cost: Cost, depth: usize) -> Result<(), Breach> {
        if depth.saturating_add(cost.height) > self.limits.depth {
            return Err(Breach::Depth(self.limits.depth));
        }
        self.charge(cost)
    }

    fn charge(&mut self, cost: Cost) -> Result<(), Breach> {
        self.nodes = self.nodes.saturating_add(cost.nodes);
        self.bytes = self.bytes.saturating_add(cost.bytes);
        if self.nodes > self.limits.nodes {
            return Err(Breach::Nodes(self.limits.nodes));
        }
        if self.bytes > self.limits.text_bytes {
            return Err(Breach::TextBytes(self.limits.text_bytes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            file_bytes: 100,
            documents: 2,
            depth: 3,
            nodes: 10,
            scalar_bytes: 5,
            text_bytes: 12,
        }
    }

    #[test]
    fn each_limit_is_refused_once_passed_and_not_before() {
        let mut budget = Budget::new(small());
        assert_eq!(budget.document(), Ok(()));
        assert_eq!(budget.document(), Ok(()));
        assert_eq!(budget.document(), Err(Breach::Documents(2)));

        let mut budget = Budget::new(small());
        assert_eq!(budget.open(3), Ok(()));
        assert_eq!(budget.open(4), Err(Breach::Depth(3)));
        assert_eq!(budget.scalar(5), Ok(()));
        assert_eq!(budget.scalar(6), Err(Breach::ScalarBytes(5)));
        assert_eq!(budget.scalar(5), Ok(()));
        assert_eq!(budget.scalar(5), Err(Breach::TextBytes(12)));
    }

    #[test]
    fn aliases_are_charged_as_what_they_expand_to() {
        let mut leaf = Cost::collection();
        leaf.add_child(Cost::scalar(1));
        leaf.add_child(Cost::scalar(1));
        assert_eq!(
            leaf,
            Cost {
                nodes: 3,
                bytes: 2,
                height: 1
            }
        );
        let mut budget = Budget::new(small());
        assert_eq!(budget.alias(leaf, 2), Ok(()));
        assert_eq!(budget.alias(leaf, 3), Err(Breach::Depth(3)));
        assert_eq!(budget.alias(leaf, 1), Ok(()));
        assert_eq!(budget.alias(leaf, 1), Ok(()));
        assert_eq!(budget.alias(leaf, 1), Err(Breach::Nodes(10)));
    }

    #[test]
    fn messages_name_the_limit_and_its_value() {
        assert_eq!(
            Breach::FileBytes(16 * 1024 * 1024).to_string(),
            "file is larger than the limit of 16 MiB"
        );
        assert_eq!(
            Breach::ScalarBytes(64 * 1024).to_string(),
            "value longer than the limit of 64 KiB"
        );
        assert!(Breach::Nodes(100_000).to_string().contains("100000"));
    }
}
