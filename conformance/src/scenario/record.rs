//! What a run of a scenario recorded, and its text form: a small YAML document (strings
//! always double-quoted, keys in a fixed order) — the body of the scenario's insta snapshot.
//! `cargo test` and `pdu-conformance run` render the same bytes, so both compare against
//! the same committed `.snap` files.

/// An ordered tree of values.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A string, always written double-quoted.
    Str(String),
    /// An integer.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// A sequence, one `- ` item per line.
    List(Vec<Node>),
    /// A mapping whose keys keep the order they were added in.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// An empty map, to fill with [`Node::with`] or [`Node::push`].
    pub fn map() -> Node {
        Node::Map(Vec::new())
    }

    /// Adds `key: value` to a map (no-op on anything else).
    pub fn with(mut self, key: &str, value: impl Into<Node>) -> Node {
        if let Node::Map(entries) = &mut self {
            entries.push((key.to_string(), value.into()));
        }
        self
    }

    /// Adds `key: value` to a map in place (no-op on anything else).
    pub fn push(&mut self, key: &str, value: impl Into<Node>) {
        if let Node::Map(entries) = self {
            entries.push((key.to_string(), value.into()));
        }
    }

    fn is_empty_container(&self) -> bool {
        matches!(self, Node::List(v) if v.is_empty())
            || matches!(self, Node::Map(v) if v.is_empty())
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_string())
    }
}
impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}
impl From<&String> for Node {
    fn from(s: &String) -> Node {
        Node::Str(s.clone())
    }
}
impl From<i64> for Node {
    fn from(v: i64) -> Node {
        Node::Int(v)
    }
}
impl From<u32> for Node {
    fn from(v: u32) -> Node {
        Node::Int(i64::from(v))
    }
}
impl From<i32> for Node {
    fn from(v: i32) -> Node {
        Node::Int(i64::from(v))
    }
}
impl From<usize> for Node {
    fn from(v: usize) -> Node {
        Node::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Node {
    fn from(v: bool) -> Node {
        Node::Bool(v)
    }
}
impl<T: Into<Node>> From<Vec<T>> for Node {
    fn from(v: Vec<T>) -> Node {
        Node::List(v.into_iter().map(Into::into).collect())
    }
}

fn quote(s: &str) -> String {
    // JSON string escapes are valid in YAML double-quoted scalars.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn scalar(node: &Node) -> Option<String> {
    match node {
        Node::Str(s) => Some(quote(s)),
        Node::Int(i) => Some(i.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        Node::List(v) if v.is_empty() => Some("[]".into()),
        Node::Map(v) if v.is_empty() => Some("{}".into()),
        _ => None,
    }
}

fn emit(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Map(entries) => {
            for (k, v) in entries {
                match scalar(v) {
                    Some(s) => out.push_str(&format!("{pad}{k}: {s}\n")),
                    None => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        emit(v, indent + 2, out);
                    }
                }
            }
        }
        Node::List(items) => {
            for item in items {
                match (scalar(item), item) {
                    (Some(s), _) => out.push_str(&format!("{pad}- {s}\n")),
                    (None, Node::Map(_)) => {
                        // First key on the dash line, the rest indented under it.
                        let mut inner = String::new();
                        emit(item, indent + 2, &mut inner);
                        let trimmed = inner.get(indent + 2..).unwrap_or("");
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    (None, _) => {
                        out.push_str(&format!("{pad}-\n"));
                        emit(item, indent + 2, out);
                    }
                }
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                out.push_str(&format!("{pad}{s}\n"));
            }
        }
    }
}

/// The YAML text of `node`.
pub fn to_yaml(node: &Node) -> String {
    let mut out = String::new();
    if node.is_empty_container() {
        return scalar(node).unwrap_or_default() + "\n";
    }
    emit(node, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_shapes() {
        let n = Node::map().with("description", "a \"quoted\" line").with(
            "steps",
            Node::List(vec![
                Node::map()
                    .with("step", 1u32)
                    .with("do", "off 3")
                    .with("outlets", Node::List(vec![])),
                Node::map()
                    .with("step", 2u32)
                    .with("result", Node::map().with("ok", true)),
            ]),
        );
        assert_eq!(
            to_yaml(&n),
            "description: \"a \\\"quoted\\\" line\"\nsteps:\n  - step: 1\n    do: \"off 3\"\n    outlets: []\n  - step: 2\n    result:\n      ok: true\n"
        );
    }
}
