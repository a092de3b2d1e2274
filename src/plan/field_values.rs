//! Field-map values converted between a Projects field and a CRM field, type by type, in both
//! directions. A value that does not fit its target is refused with the reason, so the planner
//! reports it instead of writing something else, or nothing.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::data_plane::ProjectRequest;
use crate::live::ProjectCustomFieldFacts;
use crate::live::data::{ProjectFacts, value_text};
use crate::spec::catalog::PROJECT_FIELDS;

/// Why a value does not convert: the reason the planner reports with the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("the portal has no project field {0}")]
    NoProjectField(String),
    /// A value a CRM whole-number field cannot take (quoted as the value was given).
    #[error("{0:?} is not a whole number")]
    NotWholeForCrm(String),
    /// A CRM value a Projects whole-number field cannot take.
    #[error("{0} is not a whole number")]
    NotWhole(String),
    #[error("{0} does not fit a CRM integer field")]
    IntegerRange(i64),
    #[error("{0:?} is not a number")]
    NotNumber(String),
    #[error("{0:?} is not a date")]
    NotDate(String),
    #[error("{0:?} is not true or false")]
    NotBoolean(String),
    #[error("a CRM {0} field cannot take a Projects value")]
    UnsupportedCrmType(String),
}

/// What a Projects field holds, which decides how its values convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    Text,
    Multiline,
    /// Whole numbers (`number`).
    Integer,
    /// `decimal`, `currency`, `percent`.
    Decimal,
    /// `yyyy-MM-dd`.
    Date,
    /// `true` or `false` (`boolean`, `checkbox`).
    Boolean,
}

/// The kind of a Projects custom field by its `field_type`.
pub fn custom_kind(field_type: &str) -> ProjectKind {
    let t = field_type.to_ascii_lowercase();
    if t.contains("date") {
        ProjectKind::Date
    } else if t.contains("bool") || t.contains("checkbox") {
        ProjectKind::Boolean
    } else if t.contains("decimal")
        || t.contains("currency")
        || t.contains("percent")
        || t.contains("double")
    {
        ProjectKind::Decimal
    } else if t.contains("number") || t.contains("integer") || t.contains("long") {
        ProjectKind::Integer
    } else if t.contains("multi") || t.contains("textarea") {
        ProjectKind::Multiline
    } else {
        ProjectKind::Text
    }
}

/// A built-in Projects field that field maps can name: everything the planner knows about it
/// in one row of [`BUILTIN_FIELDS`], which checks, `ToCrm` and `ToProject` all read.
pub struct BuiltinField {
    /// Its name in `fieldMap[].projectField`, one of `spec::catalog::PROJECT_FIELDS`.
    pub name: &'static str,
    pub kind: ProjectKind,
    /// Its value in an observed project, as text (`None` when empty).
    pub read: fn(&ProjectFacts) -> Option<String>,
    /// How a `ToProject` map puts a value into the request that creates a project; `None`
    /// when projectlink does not set the field when it creates a project (the map is then
    /// reported and the project created without it).
    pub on_create: Option<fn(&mut ProjectRequest, String)>,
}

/// Every built-in Projects field a field map may name, in the spec catalog's order (its length
/// is the catalog's, so a field added there and not here does not compile).
pub const BUILTIN_FIELDS: [BuiltinField; PROJECT_FIELDS.len()] = [
    BuiltinField {
        name: "name",
        kind: ProjectKind::Text,
        read: |p| present(&p.name),
        // Chosen before the other fields, from the record (`data_plane::requests`).
        on_create: Some(|_, _| {}),
    },
    BuiltinField {
        name: "description",
        kind: ProjectKind::Multiline,
        read: |p| p.description.as_deref().and_then(present),
        // In front of the creation tag the request starts with.
        on_create: Some(|request, value| {
            let tag = request.description.take().unwrap_or_default();
            request.description = Some(format!("{value}\n\n{tag}"));
        }),
    },
    BuiltinField {
        name: "owner",
        kind: ProjectKind::Text,
        read: |p| present(&p.owner),
        on_create: None,
    },
    BuiltinField {
        name: "status",
        kind: ProjectKind::Text,
        read: |p| present(&p.status),
        on_create: None,
    },
    BuiltinField {
        name: "start_date",
        kind: ProjectKind::Date,
        read: |p| p.start_date.clone(),
        on_create: Some(|request, value| request.start_date = Some(value)),
    },
    BuiltinField {
        name: "end_date",
        kind: ProjectKind::Date,
        read: |p| p.end_date.clone(),
        on_create: Some(|request, value| request.end_date = Some(value)),
    },
    BuiltinField {
        name: "percent_complete",
        kind: ProjectKind::Integer,
        read: |p| Some(p.percent_complete.unwrap_or(0).to_string()),
        on_create: None,
    },
    BuiltinField {
        name: "web_url",
        kind: ProjectKind::Text,
        read: |p| p.url.as_deref().and_then(present),
        // Zoho gives a project its address when it creates it.
        on_create: None,
    },
];

/// The built-in field a field map names, if it names one.
pub fn builtin(field: &str) -> Option<&'static BuiltinField> {
    BUILTIN_FIELDS.iter().find(|b| b.name == field)
}

/// The kind of a built-in Projects field that field maps can name.
pub fn builtin_kind(field: &str) -> Option<ProjectKind> {
    builtin(field).map(|b| b.kind)
}

/// Text that is not blank, as a field's value.
fn present(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

/// The definition of the custom field a spec names (by legacy column, e.g. `UDF_CHAR1`).
pub fn custom_definition<'a>(
    field: &str,
    custom: &'a [ProjectCustomFieldFacts],
) -> Option<&'a ProjectCustomFieldFacts> {
    custom
        .iter()
        .find(|c| c.column_name.eq_ignore_ascii_case(field))
}

/// A project field's kind and current value as text (`None` when empty), or why it has none.
/// Custom values are found by legacy column or by V3 api name (`cf_*`), whichever the API
/// answered with.
pub fn project_value(
    p: &ProjectFacts,
    field: &str,
    definition: Option<&ProjectCustomFieldFacts>,
) -> Result<(ProjectKind, Option<String>), ConvertError> {
    if let Some(b) = builtin(field) {
        return Ok((b.kind, (b.read)(p)));
    }
    let Some(def) = definition else {
        return Err(ConvertError::NoProjectField(field.to_string()));
    };
    let value = p
        .custom_fields
        .iter()
        .find(|(k, _)| {
            k.eq_ignore_ascii_case(&def.column_name)
                || def
                    .api_name
                    .as_deref()
                    .is_some_and(|a| k.eq_ignore_ascii_case(a))
        })
        .and_then(|(_, v)| present(v));
    Ok((custom_kind(&def.field_type), value))
}

/// A whole number from text such as `42` or `42.0`.
fn whole(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// A date from `yyyy-MM-dd`, the legacy API's `MM-dd-yyyy`, or the date part of a date-time.
fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%m-%d-%Y"))
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.date_naive())
        })
}

/// A Projects value (text, `None` when empty) as the JSON value a CRM field of `data_type`
/// takes; an empty value clears the field.
pub fn to_crm(
    text: Option<&str>,
    kind: ProjectKind,
    data_type: &str,
) -> Result<Value, ConvertError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Value::Null);
    };
    match data_type {
        "text" | "textarea" | "email" | "phone" | "website" | "picklist" => Ok(json!(text)),
        "integer" | "bigint" => {
            let n = whole(text).ok_or_else(|| ConvertError::NotWholeForCrm(text.to_string()))?;
            if data_type == "integer" && i32::try_from(n).is_err() {
                return Err(ConvertError::IntegerRange(n));
            }
            Ok(json!(n))
        }
        "double" | "decimal" | "currency" | "percent" => text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| json!(f))
            .ok_or_else(|| ConvertError::NotNumber(text.to_string())),
        "date" | "datetime" if kind == ProjectKind::Date => {
            let d = date(text).ok_or_else(|| ConvertError::NotDate(text.to_string()))?;
            Ok(json!(if data_type == "date" {
                d.format("%Y-%m-%d").to_string()
            } else {
                // A project date has no time of day: the start of that day, in UTC.
                d.format("%Y-%m-%dT00:00:00+00:00").to_string()
            }))
        }
        "date" | "datetime" => Err(ConvertError::NotDate(text.to_string())),
        "boolean" => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(json!(true)),
            "false" => Ok(json!(false)),
            _ => Err(ConvertError::NotBoolean(text.to_string())),
        },
        other => Err(ConvertError::UnsupportedCrmType(other.to_string())),
    }
}

/// A CRM value as the text a Projects field of `kind` takes (`None` leaves it empty).
pub fn to_project(
    value: Option<&Value>,
    kind: ProjectKind,
) -> Result<Option<String>, ConvertError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        // Multi-select picklists: the chosen values, as Projects shows a list in text.
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| value_text(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        // Lookups and users: their name, as a person reads them.
        Some(Value::Object(o)) => o.get("name").map_or_else(
            || value_text(Some(&Value::Object(o.clone()))),
            |n| value_text(Some(n)),
        ),
        Some(v) => value_text(Some(v)),
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let converted = match kind {
        ProjectKind::Text | ProjectKind::Multiline => text.to_string(),
        ProjectKind::Integer => whole(text)
            .ok_or_else(|| ConvertError::NotWhole(text.to_string()))?
            .to_string(),
        ProjectKind::Decimal => {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| ConvertError::NotNumber(text.to_string()))?;
            text.to_string()
        }
        ProjectKind::Date => date(text)
            .ok_or_else(|| ConvertError::NotDate(text.to_string()))?
            .format("%Y-%m-%d")
            .to_string(),
        ProjectKind::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => "true".into(),
            "false" => "false".into(),
            _ => return Err(ConvertError::NotBoolean(text.to_string())),
        },
    };
    Ok(Some(converted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_fields_are_the_spec_catalog_s() {
        let names: Vec<&str> = BUILTIN_FIELDS.iter().map(|b| b.name).collect();
        assert_eq!(names, PROJECT_FIELDS);
    }

    #[test]
    fn custom_field_types_have_their_kind() {
        for (t, kind) in [
            ("text", ProjectKind::Text),
            ("multiline", ProjectKind::Multiline),
            ("number", ProjectKind::Integer),
            ("decimal", ProjectKind::Decimal),
            ("currency", ProjectKind::Decimal),
            ("percent", ProjectKind::Decimal),
            ("date", ProjectKind::Date),
            ("boolean", ProjectKind::Boolean),
            ("email", ProjectKind::Text),
        ] {
            assert_eq!(custom_kind(t), kind, "{t}");
        }
    }

    #[test]
    fn projects_values_become_crm_values_of_the_field_type() {
        use ProjectKind::*;
        assert_eq!(to_crm(Some("BOW-1"), Text, "text"), Ok(json!("BOW-1")));
        assert_eq!(to_crm(Some("Gold"), Text, "picklist"), Ok(json!("Gold")));
        assert_eq!(
            to_crm(Some("a\nb"), Multiline, "textarea"),
            Ok(json!("a\nb"))
        );
        assert_eq!(to_crm(Some("42"), Integer, "integer"), Ok(json!(42)));
        assert_eq!(to_crm(Some("42"), Integer, "bigint"), Ok(json!(42)));
        assert_eq!(
            to_crm(Some("1500.50"), Decimal, "currency"),
            Ok(json!(1500.5))
        );
        assert_eq!(to_crm(Some("12.5"), Decimal, "decimal"), Ok(json!(12.5)));
        assert_eq!(to_crm(Some("42"), Integer, "text"), Ok(json!("42")));
        assert_eq!(
            to_crm(Some("2026-05-01"), Date, "date"),
            Ok(json!("2026-05-01"))
        );
        assert_eq!(
            to_crm(Some("05-01-2026"), Date, "date"),
            Ok(json!("2026-05-01"))
        );
        assert_eq!(
            to_crm(Some("2026-05-01"), Date, "datetime"),
            Ok(json!("2026-05-01T00:00:00+00:00"))
        );
        assert_eq!(to_crm(Some("true"), Boolean, "boolean"), Ok(json!(true)));
        assert_eq!(to_crm(Some("false"), Boolean, "boolean"), Ok(json!(false)));
        assert_eq!(to_crm(None, Decimal, "currency"), Ok(Value::Null));
        assert_eq!(to_crm(Some("  "), Text, "text"), Ok(Value::Null));
    }

    #[test]
    fn values_that_do_not_fit_the_crm_field_are_refused_with_the_reason() {
        use ProjectKind::*;
        let e = to_crm(Some("12.5"), Decimal, "integer").unwrap_err();
        assert!(e.to_string().contains("not a whole number"), "{e}");
        assert!(to_crm(Some("3000000000"), Integer, "integer").is_err());
        assert!(to_crm(Some("n/a"), Text, "currency").is_err());
        assert!(to_crm(Some("soon"), Text, "date").is_err());
        assert!(to_crm(Some("yes"), Text, "boolean").is_err());
        assert!(to_crm(Some("x"), Text, "lookup").is_err());
    }

    #[test]
    fn crm_values_become_projects_text_of_the_field_kind() {
        use ProjectKind::*;
        assert_eq!(
            to_project(Some(&json!("BOW")), Text),
            Ok(Some("BOW".into()))
        );
        assert_eq!(
            to_project(Some(&json!(48000)), Integer),
            Ok(Some("48000".into()))
        );
        assert_eq!(
            to_project(Some(&json!(48000.0)), Integer),
            Ok(Some("48000".into()))
        );
        assert_eq!(
            to_project(Some(&json!(1500.5)), Decimal),
            Ok(Some("1500.5".into()))
        );
        assert_eq!(to_project(Some(&json!(42)), Text), Ok(Some("42".into())));
        assert_eq!(
            to_project(Some(&json!("2026-02-28")), Date),
            Ok(Some("2026-02-28".into()))
        );
        assert_eq!(
            to_project(Some(&json!("2026-02-28T17:30:00+01:00")), Date),
            Ok(Some("2026-02-28".into()))
        );
        assert_eq!(
            to_project(Some(&json!(true)), Boolean),
            Ok(Some("true".into()))
        );
        assert_eq!(
            to_project(Some(&json!(false)), Text),
            Ok(Some("false".into()))
        );
        assert_eq!(
            to_project(Some(&json!(["Red", "Blue"])), Text),
            Ok(Some("Red, Blue".into()))
        );
        assert_eq!(
            to_project(Some(&json!({"id": "9", "name": "Sam Seller"})), Text),
            Ok(Some("Sam Seller".into()))
        );
        assert_eq!(to_project(Some(&Value::Null), Date), Ok(None));
        assert_eq!(to_project(None, Text), Ok(None));
    }

    #[test]
    fn crm_values_that_do_not_fit_the_projects_field_are_refused() {
        use ProjectKind::*;
        assert!(to_project(Some(&json!(12.5)), Integer).is_err());
        assert!(to_project(Some(&json!("abc")), Decimal).is_err());
        assert!(to_project(Some(&json!("next week")), Date).is_err());
        assert!(to_project(Some(&json!("maybe")), Boolean).is_err());
    }

    fn budget() -> ProjectCustomFieldFacts {
        ProjectCustomFieldFacts {
            column_name: "UDF_CHAR1".into(),
            label: "Budget Code".into(),
            field_type: "text".into(),
            api_name: Some("cf_budget_code".into()),
        }
    }

    #[test]
    fn custom_values_are_found_by_column_or_api_name() {
        let def = budget();
        let mut p = ProjectFacts::default();
        p.custom_fields
            .insert("cf_budget_code".into(), "X-1".into());
        assert_eq!(
            project_value(&p, "UDF_CHAR1", Some(&def)),
            Ok((ProjectKind::Text, Some("X-1".into())))
        );
        let mut legacy = ProjectFacts::default();
        legacy
            .custom_fields
            .insert("UDF_CHAR1".into(), "X-2".into());
        assert_eq!(
            project_value(&legacy, "udf_char1", Some(&def)),
            Ok((ProjectKind::Text, Some("X-2".into())))
        );
        assert_eq!(
            project_value(&ProjectFacts::default(), "UDF_CHAR1", Some(&def)),
            Ok((ProjectKind::Text, None))
        );
        assert!(project_value(&p, "UDF_CHAR9", None).is_err());
    }

    #[test]
    fn the_description_is_a_multiline_value() {
        let p = ProjectFacts {
            description: Some("Fit-out of the\nLeeds showroom".into()),
            ..Default::default()
        };
        assert_eq!(
            project_value(&p, "description", None),
            Ok((
                ProjectKind::Multiline,
                Some("Fit-out of the\nLeeds showroom".into())
            ))
        );
    }

    #[test]
    fn the_web_url_is_text_a_crm_website_field_can_keep() {
        let url = "https://projects.zoho.com/portal/acme#project/1708760000000001234";
        let p = ProjectFacts {
            url: Some(url.into()),
            ..Default::default()
        };
        let (kind, value) = project_value(&p, "web_url", None).unwrap();
        assert_eq!((kind, value.as_deref()), (ProjectKind::Text, Some(url)));
        assert_eq!(to_crm(value.as_deref(), kind, "website"), Ok(json!(url)));
        // Zoho gives the address; a creation cannot set it.
        assert!(builtin("web_url").is_some_and(|b| b.on_create.is_none()));
        assert_eq!(
            project_value(&ProjectFacts::default(), "web_url", None),
            Ok((ProjectKind::Text, None))
        );
    }
}
