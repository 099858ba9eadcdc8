//! A small HCL writer: blocks, attributes and expressions as data, rendered the way `terraform fmt` leaves them.
//!
//! Layout rules follow hclwrite's formatter: two spaces per nesting level; the `=` of consecutive single-line
//! attributes is aligned (a line that opens a multi-line value, a nested block, a comment or a blank line ends the
//! run); one blank line between top-level blocks. Blank lines inside a body are a style choice (the formatter keeps
//! whatever it is given): one before and after every multi-line item, which is how the providers' own examples
//! read.

use std::fmt::Write as _;

/// A value on the right of `=`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A quoted string literal; escaped on output.
    String(String),
    /// A quoted string with interpolations, e.g. `"${aws_instance.web.public_ip}/32"`.
    Template(Vec<Part>),
    Number(i64),
    Bool(bool),
    Null,
    /// A reference such as `aws_vpc.main.id` or `var.do_token`.
    Ref(Traversal),
    List(Vec<Expr>),
    /// An object constructor; keys are written bare when they are plain identifiers, quoted otherwise.
    Object(Vec<(String, Expr)>),
    /// A type constraint, as in a variable's `type`.
    Type(TypeExpr),
}

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Literal(String),
    Interpolation(Traversal),
}

/// Type constraints used by the variables rift declares.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    String,
    List(Box<TypeExpr>),
}

/// A root name followed by attribute names and list indexes: `aws_db_instance.db.master_user_secret[0].secret_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traversal {
    root: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Attr(String),
    Index(u64),
}

impl Traversal {
    /// `<type>.<name>`: a managed resource.
    pub fn resource(resource_type: &str, name: &str) -> Self {
        Self {
            root: resource_type.to_string(),
            steps: vec![Step::Attr(name.to_string())],
        }
    }

    /// `data.<type>.<name>`.
    pub fn data(data_type: &str, name: &str) -> Self {
        Self {
            root: "data".to_string(),
            steps: vec![
                Step::Attr(data_type.to_string()),
                Step::Attr(name.to_string()),
            ],
        }
    }

    /// `var.<name>`.
    pub fn var(name: &str) -> Self {
        Self {
            root: "var".to_string(),
            steps: vec![Step::Attr(name.to_string())],
        }
    }

    /// `<provider>.<alias>`, the value of a `provider` meta-argument.
    pub fn provider(local_name: &str, alias: &str) -> Self {
        Self {
            root: local_name.to_string(),
            steps: vec![Step::Attr(alias.to_string())],
        }
    }

    pub fn attr(mut self, name: &str) -> Self {
        self.steps.push(Step::Attr(name.to_string()));
        self
    }

    pub fn index(mut self, index: u64) -> Self {
        self.steps.push(Step::Index(index));
        self
    }

    fn render(&self, out: &mut String) {
        out.push_str(&self.root);
        for step in &self.steps {
            match step {
                Step::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
    }
}

impl From<&str> for Expr {
    fn from(value: &str) -> Self {
        Expr::String(value.to_string())
    }
}

impl From<String> for Expr {
    fn from(value: String) -> Self {
        Expr::String(value)
    }
}

impl From<&String> for Expr {
    fn from(value: &String) -> Self {
        Expr::String(value.clone())
    }
}

impl From<bool> for Expr {
    fn from(value: bool) -> Self {
        Expr::Bool(value)
    }
}

impl From<u32> for Expr {
    fn from(value: u32) -> Self {
        Expr::Number(i64::from(value))
    }
}

impl From<u16> for Expr {
    fn from(value: u16) -> Self {
        Expr::Number(i64::from(value))
    }
}

impl From<Traversal> for Expr {
    fn from(value: Traversal) -> Self {
        Expr::Ref(value)
    }
}

impl From<TypeExpr> for Expr {
    fn from(value: TypeExpr) -> Self {
        Expr::Type(value)
    }
}

impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(items: Vec<T>) -> Self {
        Expr::List(items.into_iter().map(Into::into).collect())
    }
}

impl Expr {
    fn is_multi_line(&self) -> bool {
        matches!(self, Expr::Object(entries) if !entries.is_empty())
    }

    /// Renders the expression on one line (objects nested in lists use the single-line form).
    fn render_inline(&self, out: &mut String) {
        match self {
            Expr::String(s) => {
                out.push('"');
                escape_into(s, out);
                out.push('"');
            }
            Expr::Template(parts) => {
                out.push('"');
                for part in parts {
                    match part {
                        Part::Literal(s) => escape_into(s, out),
                        Part::Interpolation(t) => {
                            out.push_str("${");
                            t.render(out);
                            out.push('}');
                        }
                    }
                }
                out.push('"');
            }
            Expr::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Expr::Null => out.push_str("null"),
            Expr::Ref(t) => t.render(out),
            Expr::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_inline(out);
                }
                out.push(']');
            }
            Expr::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Expr::Object(entries) => {
                out.push_str("{ ");
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    push_key(key, out);
                    out.push_str(" = ");
                    value.render_inline(out);
                }
                out.push_str(" }");
            }
            Expr::Type(t) => render_type(t, out),
        }
    }
}

fn render_type(t: &TypeExpr, out: &mut String) {
    match t {
        TypeExpr::String => out.push_str("string"),
        TypeExpr::List(inner) => {
            out.push_str("list(");
            render_type(inner, out);
            out.push(')');
        }
    }
}

/// Escapes a string for a quoted HCL literal, including `${` and `%{`, which would otherwise start a template
/// sequence.
fn escape_into(s: &str, out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// Object keys: bare when they are plain identifiers, quoted otherwise (e.g. "managed-by").
fn push_key(key: &str, out: &mut String) {
    if is_plain_identifier(key) {
        out.push_str(key);
    } else {
        out.push('"');
        escape_into(key, out);
        out.push('"');
    }
}

fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Terraform identifier for a rift name: hyphens become underscores, anything else outside `[A-Za-z0-9_]`
/// too, and a name that would start with a digit gets a leading `r_`.
pub fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert_str(0, "r_");
    }
    out
}

/// One entry of a body.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Attr(String, Expr),
    Block(Block),
    Comment(String),
}

impl Item {
    fn is_multi_line(&self) -> bool {
        match self {
            Item::Attr(_, value) => value.is_multi_line(),
            Item::Block(_) => true,
            Item::Comment(_) => false,
        }
    }
}

/// A block: `resource "aws_vpc" "main" { ... }`, or a nested one such as `root_block_device { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    kind: String,
    labels: Vec<String>,
    items: Vec<Item>,
}

impl Block {
    pub fn new(kind: &str, labels: &[&str]) -> Self {
        Self {
            kind: kind.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            items: Vec::new(),
        }
    }

    /// `resource "<type>" "<name>"`.
    pub fn resource(resource_type: &str, name: &str) -> Self {
        Self::new("resource", &[resource_type, name])
    }

    pub fn attr(mut self, key: &str, value: impl Into<Expr>) -> Self {
        self.items.push(Item::Attr(key.to_string(), value.into()));
        self
    }

    /// Sets the attribute only when there is a value.
    pub fn attr_opt(self, key: &str, value: Option<impl Into<Expr>>) -> Self {
        match value {
            Some(v) => self.attr(key, v),
            None => self,
        }
    }

    pub fn block(mut self, child: Block) -> Self {
        self.items.push(Item::Block(child));
        self
    }

    /// A `#` comment line; it belongs to the item that follows it.
    pub fn comment(mut self, text: &str) -> Self {
        self.items.push(Item::Comment(text.to_string()));
        self
    }

    fn header(&self) -> String {
        let mut out = self.kind.clone();
        for label in &self.labels {
            out.push_str(" \"");
            escape_into(label, &mut out);
            out.push('"');
        }
        out
    }

    fn render(&self, indent: usize, lines: &mut Vec<Line>) {
        if self.items.is_empty() {
            lines.push(Line::plain(indent, format!("{} {{}}", self.header())));
            return;
        }
        lines.push(Line::plain(indent, format!("{} {{", self.header())));
        render_items(&self.items, indent + 1, lines);
        lines.push(Line::plain(indent, "}".to_string()));
    }
}

fn render_items(items: &[Item], indent: usize, lines: &mut Vec<Line>) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            let previous = &items[i - 1];
            let opens_paragraph = (item.is_multi_line() || matches!(item, Item::Comment(_)))
                && !matches!(previous, Item::Comment(_));
            if opens_paragraph || previous.is_multi_line() {
                lines.push(Line::blank());
            }
        }
        match item {
            Item::Attr(key, value) => render_attr(key, value, indent, lines),
            Item::Block(block) => block.render(indent, lines),
            Item::Comment(text) => lines.push(comment_line(indent, text)),
        }
    }
}

fn render_attr(key: &str, value: &Expr, indent: usize, lines: &mut Vec<Line>) {
    let mut lead = String::new();
    push_key(key, &mut lead);
    match value {
        Expr::Object(entries) if !entries.is_empty() => {
            lines.push(Line::plain(indent, format!("{lead} = {{")));
            for (k, v) in entries {
                render_attr(k, v, indent + 1, lines);
            }
            lines.push(Line::plain(indent, "}".to_string()));
        }
        _ => {
            let mut assign = String::from("= ");
            value.render_inline(&mut assign);
            lines.push(Line {
                indent,
                lead,
                assign: Some(assign),
            });
        }
    }
}

/// A `#` comment on one line: a line break in the text (a name from a hand-edited plan, say) would otherwise end
/// the comment and leave the rest as HCL.
fn comment_line(indent: usize, text: &str) -> Line {
    Line::plain(indent, format!("# {}", text.replace(['\n', '\r'], " ")))
}

/// One output line: indentation, the text before any `=`, and the `= value` part of a single-line attribute.
#[derive(Debug)]
struct Line {
    indent: usize,
    lead: String,
    assign: Option<String>,
}

impl Line {
    fn plain(indent: usize, lead: String) -> Self {
        Self {
            indent,
            lead,
            assign: None,
        }
    }

    fn blank() -> Self {
        Self::plain(0, String::new())
    }

    fn columns(&self) -> usize {
        2 * self.indent + self.lead.chars().count()
    }
}

/// Writes lines, aligning the `=` of each run of consecutive single-line attributes the way hclwrite does.
fn write_lines(lines: &[Line], out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        let run_end = if lines[i].assign.is_some() {
            lines[i..]
                .iter()
                .position(|l| l.assign.is_none())
                .map_or(lines.len(), |n| i + n)
        } else {
            i + 1
        };
        let width = lines[i..run_end]
            .iter()
            .map(Line::columns)
            .max()
            .unwrap_or(0);
        for line in &lines[i..run_end] {
            if line.lead.is_empty() && line.assign.is_none() {
                out.push('\n');
                continue;
            }
            out.push_str(&"  ".repeat(line.indent));
            out.push_str(&line.lead);
            if let Some(assign) = &line.assign {
                out.push_str(&" ".repeat(width - line.columns() + 1));
                out.push_str(assign);
            }
            out.push('\n');
        }
        i = run_end;
    }
}

/// A whole `.tf` file: leading comment lines, then top-level blocks separated by blank lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct File {
    header: Vec<String>,
    blocks: Vec<Block>,
}

impl File {
    pub fn new(header: Vec<String>) -> Self {
        Self {
            header,
            blocks: Vec::new(),
        }
    }

    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        for text in &self.header {
            lines.push(comment_line(0, text));
        }
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 || !self.header.is_empty() {
                lines.push(Line::blank());
            }
            block.render(0, &mut lines);
        }
        let mut out = String::new();
        write_lines(&lines, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_runs_and_breaks_them_at_multi_line_items() {
        let block = Block::resource("aws_instance", "web")
            .attr("ami", Traversal::data("aws_ami", "ubuntu").attr("id"))
            .attr("instance_type", "t3.medium")
            .block(Block::new("root_block_device", &[]).attr("volume_size", 20u32))
            .attr(
                "tags",
                Expr::Object(vec![
                    ("Name".to_string(), "shop-web".into()),
                    ("managed-by".to_string(), "rift".into()),
                ]),
            );
        let mut file = File::new(vec!["header".to_string()]);
        file.push(block);
        file.push(Block::new("variable", &["x"]).attr("type", TypeExpr::String));
        assert_eq!(
            file.render(),
            r#"# header

resource "aws_instance" "web" {
  ami           = data.aws_ami.ubuntu.id
  instance_type = "t3.medium"

  root_block_device {
    volume_size = 20
  }

  tags = {
    Name         = "shop-web"
    "managed-by" = "rift"
  }
}

variable "x" {
  type = string
}
"#
        );
    }

    #[test]
    fn escapes_strings_and_renders_templates_and_lists() {
        let block = Block::new("b", &[])
            .attr("s", "a \"quoted\" ${not} %{x} \\ path\n")
            .attr(
                "t",
                Expr::Template(vec![
                    Part::Interpolation(
                        Traversal::resource("digitalocean_droplet", "web").attr("ipv4_address"),
                    ),
                    Part::Literal("/32".to_string()),
                ]),
            )
            .attr(
                "l",
                vec![
                    Traversal::resource("aws_subnet", "a").attr("id"),
                    Traversal::var("x"),
                ],
            )
            .attr(
                "i",
                Traversal::resource("aws_db_instance", "db")
                    .attr("master_user_secret")
                    .index(0)
                    .attr("secret_arn"),
            )
            .attr("n", Expr::Null)
            .attr("e", Expr::List(vec![]))
            .attr("o", Expr::Object(vec![]))
            .attr("ty", TypeExpr::List(Box::new(TypeExpr::String)));
        let mut file = File::default();
        file.push(block);
        assert_eq!(
            file.render(),
            r#"b {
  s  = "a \"quoted\" $${not} %%{x} \\ path\n"
  t  = "${digitalocean_droplet.web.ipv4_address}/32"
  l  = [aws_subnet.a.id, var.x]
  i  = aws_db_instance.db.master_user_secret[0].secret_arn
  n  = null
  e  = []
  o  = {}
  ty = list(string)
}
"#
        );
    }

    #[test]
    fn comments_attach_to_the_next_item_and_end_a_run() {
        let block = Block::new("b", &[])
            .attr("a", 1u32)
            .comment("why")
            .attr("long_name", 2u32)
            .block(Block::new("empty", &[]));
        let mut file = File::default();
        file.push(block);
        assert_eq!(
            file.render(),
            "b {\n  a = 1\n\n  # why\n  long_name = 2\n\n  empty {}\n}\n"
        );
        let mut file = File::new(vec!["two\nlines".to_string()]);
        file.push(Block::new("b", &[]));
        assert_eq!(file.render(), "# two lines\n\nb {}\n");
    }

    #[test]
    fn identifiers_are_valid_terraform_names() {
        assert_eq!(identifier("shop-web-1"), "shop_web_1");
        assert_eq!(identifier("3tier"), "r_3tier");
        assert_eq!(identifier("a.b c"), "a_b_c");
    }
}
