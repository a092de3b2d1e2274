//! COQL's `select ... from ... where ... order by ... limit ...` parsed into a [`Query`], so
//! `POST /crm/v8/coql` (see [`super::coql`]) can answer the queries Zoho's samples send.
//!
//! Covered: field lists (dotted lookups such as `Account_Name.Account_Name` are kept as
//! names), `where` with `and`/`or`/parentheses and the comparisons `= != <> < <= > >=`,
//! `like` / `not like` (`%` at either end), `in` / `not in`, `is null` / `is not null`,
//! `between x and y`; `order by f [asc|desc], ...`; `limit n`, `limit o, n` and
//! `limit n offset o`. Input is bounded by [`MAX_QUERY_LEN`] and the nesting depth.

/// Longest query accepted (Zoho does not document one; this bounds the parser's work).
pub const MAX_QUERY_LEN: usize = 10_000;
/// Deepest parenthesis nesting accepted.
const MAX_DEPTH: usize = 16;
/// Conditions a WHERE clause may hold (Zoho: "a maximum of 25 criteria").
pub const MAX_CRITERIA: usize = 25;
/// Fields a SELECT may name (Zoho: "up to 50 field API names").
pub const MAX_SELECT_FIELDS: usize = 50;
/// Fields an ORDER BY may name (Zoho v8: "a maximum of 10 fields").
pub const MAX_ORDER_FIELDS: usize = 10;
/// Values an `in` / `not in` list may hold (Zoho: "up to 50 values").
pub const MAX_IN_VALUES: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Word(String),
    Text(String),
    Number(String),
    Symbol(&'static str),
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Number(String),
    Bool(bool),
}

impl Literal {
    pub fn text(&self) -> String {
        match self {
            Literal::Text(s) | Literal::Number(s) => s.clone(),
            Literal::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Compare(String, &'static str, Literal),
    Like(String, String, bool),
    In(String, Vec<Literal>, bool),
    Null(String, bool),
    Between(String, Literal, Literal),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub fields: Vec<String>,
    pub module: String,
    pub filter: Option<Cond>,
    pub order: Vec<(String, bool)>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// Why a query was refused: the clause it failed in and a short reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub clause: &'static str,
    pub reason: String,
    /// The documented limit the query passed, when that is why it was refused.
    pub limit: Option<usize>,
}

fn fail<T>(clause: &'static str, reason: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        clause,
        reason: reason.into(),
        limit: None,
    })
}

/// Refuses a query whose `clause` names more than `limit` of `what`.
fn over<T>(clause: &'static str, what: &str, limit: usize) -> Result<T, ParseError> {
    Err(ParseError {
        clause,
        reason: format!("more than {limit} {what}"),
        limit: Some(limit),
    })
}

pub fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return fail("where", "unterminated string"),
                    Some('\\') if chars.get(i + 1).is_some() => {
                        text.push(chars[i + 1]);
                        i += 2;
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        text.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        text.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Text(text));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.$".contains(chars[i])) {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = ["!=", "<>", "<=", ">="]
                .into_iter()
                .find(|s| *s == two)
                .or_else(|| {
                    ["(", ")", ",", "=", "<", ">", "*"]
                        .into_iter()
                        .find(|s| s.starts_with(c))
                });
            let Some(symbol) = symbol else {
                return fail("select", format!("unexpected character '{c}'"));
            };
            i += symbol.len();
            out.push(Token::Symbol(symbol));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Conditions read so far, refused past [`MAX_CRITERIA`] before the tree grows further.
    conditions: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn symbol(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(x)) if *x == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self, clause: &'static str) -> Result<String, ParseError> {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) => {
                self.pos += 1;
                Ok(w.clone())
            }
            _ => fail(clause, "a field name was expected"),
        }
    }

    fn number(&mut self, clause: &'static str) -> Result<u64, ParseError> {
        match self.tokens.get(self.pos) {
            Some(Token::Number(n)) => {
                self.pos += 1;
                n.parse()
                    .or_else(|_| fail(clause, "a whole number was expected"))
            }
            _ => fail(clause, "a number was expected"),
        }
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        let lit = match self.tokens.get(self.pos) {
            Some(Token::Text(t)) => Literal::Text(t.clone()),
            Some(Token::Number(n)) => Literal::Number(n.clone()),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            _ => return fail("where", "a value was expected"),
        };
        self.pos += 1;
        Ok(lit)
    }

    fn or_expr(&mut self, depth: usize) -> Result<Cond, ParseError> {
        let mut left = self.and_expr(depth)?;
        while self.keyword("or") {
            left = Cond::Or(Box::new(left), Box::new(self.and_expr(depth)?));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize) -> Result<Cond, ParseError> {
        let mut left = self.atom(depth)?;
        while self.keyword("and") {
            left = Cond::And(Box::new(left), Box::new(self.atom(depth)?));
        }
        Ok(left)
    }

    fn atom(&mut self, depth: usize) -> Result<Cond, ParseError> {
        if self.symbol("(") {
            if depth >= MAX_DEPTH {
                return fail("where", "too deeply nested");
            }
            let inner = self.or_expr(depth + 1)?;
            if !self.symbol(")") {
                return fail("where", "a closing parenthesis was expected");
            }
            return Ok(inner);
        }
        let field = self.name("where")?;
        self.comparison(field)
    }

    fn comparison(&mut self, field: String) -> Result<Cond, ParseError> {
        self.conditions += 1;
        if self.conditions > MAX_CRITERIA {
            return over("where", "criteria", MAX_CRITERIA);
        }
        for op in ["=", "!=", "<>", "<=", ">=", "<", ">"] {
            if self.symbol(op) {
                let op = if op == "<>" { "!=" } else { op };
                return Ok(Cond::Compare(field, op, self.literal()?));
            }
        }
        if self.keyword("is") {
            let negated = self.keyword("not");
            if !self.keyword("null") {
                return fail("where", "null was expected after is");
            }
            return Ok(Cond::Null(field, !negated));
        }
        if self.keyword("between") {
            let low = self.literal()?;
            if !self.keyword("and") {
                return fail("where", "and was expected in between");
            }
            return Ok(Cond::Between(field, low, self.literal()?));
        }
        let negated = self.keyword("not");
        if self.keyword("like") {
            let Literal::Text(pattern) = self.literal()? else {
                return fail("where", "like needs a quoted pattern");
            };
            return Ok(Cond::Like(field, pattern, negated));
        }
        if self.keyword("in") {
            if !self.symbol("(") {
                return fail("where", "in needs a parenthesised list");
            }
            let mut values = vec![self.literal()?];
            while self.symbol(",") {
                if values.len() == MAX_IN_VALUES {
                    return over("where", "values in one in list", MAX_IN_VALUES);
                }
                values.push(self.literal()?);
            }
            if !self.symbol(")") {
                return fail("where", "a closing parenthesis was expected");
            }
            return Ok(Cond::In(field, values, negated));
        }
        fail("where", "an operator was expected")
    }

    fn order_by(&mut self) -> Result<Vec<(String, bool)>, ParseError> {
        let mut order = Vec::new();
        loop {
            let field = self.name("order by")?;
            let ascending = !self.keyword("desc");
            if ascending {
                self.keyword("asc");
            }
            order.push((field, ascending));
            if !self.symbol(",") {
                return Ok(order);
            }
            if order.len() == MAX_ORDER_FIELDS {
                return over("order by", "fields", MAX_ORDER_FIELDS);
            }
        }
    }
}

/// Parses one COQL query.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    if input.len() > MAX_QUERY_LEN {
        return fail("select", "the query is too long");
    }
    let mut p = Parser {
        tokens: tokenize(input)?,
        pos: 0,
        conditions: 0,
    };
    if !p.keyword("select") {
        return fail("select", "the query must start with select");
    }
    let mut fields = vec![p.name("select")?];
    while p.symbol(",") {
        if fields.len() == MAX_SELECT_FIELDS {
            return over("select", "fields", MAX_SELECT_FIELDS);
        }
        fields.push(p.name("select")?);
    }
    if !p.keyword("from") {
        return fail("from", "from was expected after the field list");
    }
    let module = p.name("from")?;
    let filter = if p.keyword("where") {
        Some(p.or_expr(0)?)
    } else {
        None
    };
    let order = if p.keyword("order") {
        if !p.keyword("by") {
            return fail("order by", "by was expected after order");
        }
        p.order_by()?
    } else {
        Vec::new()
    };
    let (mut limit, mut offset) = (None, 0);
    if p.keyword("limit") {
        let first = p.number("limit")?;
        if p.symbol(",") {
            offset = first;
            limit = Some(p.number("limit")?);
        } else {
            limit = Some(first);
        }
    }
    if p.keyword("offset") {
        offset = p.number("offset")?;
    }
    if p.pos != p.tokens.len() {
        return fail("select", "unexpected text after the query");
    }
    Ok(Query {
        fields,
        module,
        filter,
        order,
        limit,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_clauses_zoho_samples_use() {
        let q = parse(
            "select Last_Name, Account_Name.Account_Name from Contacts \
             where (Last_Name is not null and Email like '%@x.com') or Lead_Source in ('Web', 'Ad') \
             order by Last_Name desc, id limit 5, 10",
        )
        .unwrap();
        assert_eq!(q.fields, ["Last_Name", "Account_Name.Account_Name"]);
        assert_eq!(q.module, "Contacts");
        assert_eq!(q.order, [("Last_Name".into(), false), ("id".into(), true)]);
        assert_eq!((q.limit, q.offset), (Some(10), 5));
        assert!(matches!(q.filter, Some(Cond::Or(..))));
        let q =
            parse("SELECT id FROM Deals WHERE Amount between 10 and 20 LIMIT 3 OFFSET 6").unwrap();
        assert_eq!((q.limit, q.offset), (Some(3), 6));
    }

    #[test]
    fn refuses_broken_queries_with_the_clause() {
        assert_eq!(parse("select from Contacts").unwrap_err().clause, "from");
        assert_eq!(parse("select a Contacts").unwrap_err().clause, "from");
        assert_eq!(
            parse("select a from C where x ==").unwrap_err().clause,
            "where"
        );
        assert_eq!(
            parse("select a from C where x = 'open").unwrap_err().clause,
            "where"
        );
        let deep = format!(
            "select a from C where {}a = 1{}",
            "(".repeat(40),
            ")".repeat(40)
        );
        assert!(parse(&deep).is_err());
        assert!(parse(&"x".repeat(MAX_QUERY_LEN + 1)).is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::sandbox::hostile_input;

    fn conditions(c: &Cond) -> usize {
        match c {
            Cond::And(a, b) | Cond::Or(a, b) => conditions(a) + conditions(b),
            _ => 1,
        }
    }

    proptest! {
        #![proptest_config(hostile_input::config(256))]

        #[test]
        fn hostile_text_anywhere_in_a_query_is_refused_or_bounded(
            text in hostile_input::text(),
            at in 0usize..4,
        ) {
            let query = match at {
                0 => text,
                1 => format!("select {text} from Contacts"),
                2 => format!("select id from Contacts where {text}"),
                _ => format!("select id from Contacts where Email = '{text}' limit {text}"),
            };
            let parsed = hostile_input::on_small_stack(move || parse(&query));
            if let Ok(q) = parsed {
                prop_assert!(q.fields.len() <= MAX_SELECT_FIELDS);
                prop_assert!(q.filter.as_ref().is_none_or(|f| conditions(f) <= MAX_CRITERIA));
            }
        }

        #[test]
        fn criteria_past_25_are_a_limit_not_a_syntax_error(n in 1usize..450) {
            let chain = vec!["Last_Name = 'x'"; n].join(" and ");
            let query = format!("select id from Contacts where {chain}");
            match hostile_input::on_small_stack(move || parse(&query)) {
                Ok(q) => prop_assert_eq!(conditions(&q.filter.unwrap()), n),
                Err(e) => {
                    prop_assert!(n > MAX_CRITERIA, "{:?}", e);
                    prop_assert_eq!(e.limit, Some(MAX_CRITERIA));
                }
            }
        }

        #[test]
        fn numbers_past_u64_in_limit_are_syntax_errors(digits in "[1-9][0-9]{20,60}") {
            let e = parse(&format!("select id from Contacts limit {digits}")).unwrap_err();
            prop_assert_eq!((e.clause, e.limit), ("limit", None));
        }
    }

    #[test]
    fn field_lists_stop_at_their_documented_limits() {
        let names = |n: usize| vec!["Email"; n].join(", ");
        assert!(parse(&format!("select {} from C", names(50))).is_ok());
        let e = parse(&format!("select {} from C", names(51))).unwrap_err();
        assert_eq!((e.clause, e.limit), ("select", Some(50)));
        let e = parse(&format!("select id from C order by {}", names(11))).unwrap_err();
        assert_eq!((e.clause, e.limit), ("order by", Some(10)));
        let values = vec!["'a'"; 51].join(",");
        let e = parse(&format!("select id from C where Email in ({values})")).unwrap_err();
        assert_eq!(e.limit, Some(MAX_IN_VALUES));
    }
}
