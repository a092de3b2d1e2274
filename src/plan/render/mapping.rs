//! The client mapping report in text and markdown (JSON carries it as `client_mapping`):
//! per client company and client user, mapped to which Account or Contact, or unmapped and
//! why. Every unmapped one is listed, since each needs the admin's attention; the mapped
//! ones are cut to the first entries with a count, so a plan for thousands of clients stays
//! readable.

use std::fmt::Write;

use crate::plan::data_plane::{MappingReport, MappingStatus};

/// Mapped entries shown before the rest is summarized.
const SHOWN: usize = 20;

fn describe(status: &MappingStatus) -> String {
    match status {
        MappingStatus::Mapped { record, via, .. } => format!("mapped to \"{record}\" ({via})"),
        MappingStatus::Unmapped { reason } => format!("unmapped: {reason}"),
    }
}

/// `(label, detail)` lines: unmapped first, since those need attention.
fn lines(report: &MappingReport) -> Vec<(String, String)> {
    let mut unmapped = Vec::new();
    let mut mapped = Vec::new();
    for c in &report.clients {
        let line = (format!("client \"{}\"", c.client), describe(&c.status));
        match c.status {
            MappingStatus::Unmapped { .. } => unmapped.push(line),
            MappingStatus::Mapped { .. } => mapped.push(line),
        }
    }
    for u in &report.client_users {
        let line = (
            format!("client user {} of \"{}\"", u.email, u.client),
            describe(&u.status),
        );
        match u.status {
            MappingStatus::Unmapped { .. } => unmapped.push(line),
            MappingStatus::Mapped { .. } => mapped.push(line),
        }
    }
    let total = mapped.len();
    let mut out = unmapped;
    out.extend(mapped.into_iter().take(SHOWN));
    if total > SHOWN {
        out.push((
            format!("… and {} more mapped", total - SHOWN),
            "(all are in --format json)".into(),
        ));
    }
    out
}

/// "N mapped, M unmapped" of the client companies, and of the client users when the plan
/// maps any.
fn counts(report: &MappingReport) -> String {
    fn split<'a>(statuses: impl Iterator<Item = &'a MappingStatus>) -> (usize, usize) {
        statuses.fold((0, 0), |(m, u), s| match s {
            MappingStatus::Mapped { .. } => (m + 1, u),
            MappingStatus::Unmapped { .. } => (m, u + 1),
        })
    }
    let (mapped, unmapped) = split(report.clients.iter().map(|c| &c.status));
    let mut text = format!("{mapped} mapped, {unmapped} unmapped");
    if !report.client_users.is_empty() {
        let (mapped, unmapped) = split(report.client_users.iter().map(|u| &u.status));
        text.push_str(&format!(
            "; client users: {mapped} mapped, {unmapped} unmapped"
        ));
    }
    text
}

pub fn text(report: &MappingReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Client mapping (automatic mapping: {}): {}",
        report.automatic_mapping,
        counts(report)
    );
    for (label, detail) in lines(report) {
        let _ = writeln!(out, "  {label}: {detail}");
    }
    out
}

/// The report as a markdown table of at most about `budget` characters (a pull-request comment
/// has a size limit): rows past it are counted, not shown.
pub fn markdown(report: &MappingReport, budget: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**Client mapping** (automatic mapping: {}): {}",
        report.automatic_mapping,
        counts(report)
    );
    let _ = writeln!(out);
    if report.clients.is_empty() && report.client_users.is_empty() {
        return out;
    }
    let _ = writeln!(out, "| Client | Mapping |");
    let _ = writeln!(out, "|---|---|");
    let rows = lines(report);
    let total = rows.len();
    for (shown, (label, detail)) in rows.into_iter().enumerate() {
        let row = format!(
            "| {} | {} |\n",
            label.replace('|', "\\|"),
            detail.replace('|', "\\|")
        );
        if out.len() + row.len() > budget {
            let _ = writeln!(
                out,
                "| … and {} more | (all are in `--format json`) |",
                total - shown
            );
            break;
        }
        out.push_str(&row);
    }
    let _ = writeln!(out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::data_plane::{ClientMappingEntry, ClientUserMappingEntry};

    fn report(n: usize, unmapped: usize) -> MappingReport {
        MappingReport {
            automatic_mapping: "done".into(),
            clients: (0..n)
                .map(|i| ClientMappingEntry {
                    client: format!("C{i}"),
                    client_id: i.to_string(),
                    status: if i < unmapped {
                        MappingStatus::Unmapped {
                            reason: format!("no Account is named \"C{i}\""),
                        }
                    } else {
                        MappingStatus::Mapped {
                            record: format!("A{i}"),
                            record_id: i.to_string(),
                            via: "auto".into(),
                        }
                    },
                })
                .collect(),
            client_users: vec![ClientUserMappingEntry {
                client: "C1".into(),
                email: "u@c1.example".into(),
                status: MappingStatus::Unmapped {
                    reason: "2 Contacts have the email u@c1.example (ids 7, 8)".into(),
                },
            }],
        }
    }

    #[test]
    fn every_unmapped_one_is_listed_and_long_mapped_lists_are_cut() {
        let t = text(&report(60, 25));
        assert!(
            t.contains("35 mapped, 25 unmapped; client users: 0 mapped, 1 unmapped"),
            "{t}"
        );
        for i in 0..25 {
            assert!(
                t.contains(&format!(
                    "client \"C{i}\": unmapped: no Account is named \"C{i}\""
                )),
                "C{i}: {t}"
            );
        }
        assert!(
            t.contains("client user u@c1.example of \"C1\": unmapped: 2 Contacts have the email"),
            "{t}"
        );
        assert!(t.contains("… and 15 more mapped"), "{t}");
        let m = markdown(&report(3, 1), 10_000);
        assert!(
            m.contains("| client \"C1\" | mapped to \"A1\" (auto) |"),
            "{m}"
        );
        let cut = markdown(&report(400, 400), 2_000);
        assert!(cut.len() < 2_200, "{}", cut.len());
        assert!(
            cut.contains("more | (all are in `--format json`) |"),
            "{cut}"
        );
    }

    fn unmapped(reason: &str) -> MappingStatus {
        MappingStatus::Unmapped {
            reason: reason.into(),
        }
    }

    #[test]
    fn the_report_an_admin_reads_gives_each_reason() {
        let mapped = |record: &str, id: &str, via: &str| MappingStatus::Mapped {
            record: record.into(),
            record_id: id.into(),
            via: via.into(),
        };
        let client = |name: &str, status: MappingStatus| ClientMappingEntry {
            client: name.into(),
            client_id: format!("id-{name}"),
            status,
        };
        let user = |client: &str, email: &str, status: MappingStatus| ClientUserMappingEntry {
            client: client.into(),
            email: email.into(),
            status,
        };
        let report = MappingReport {
            automatic_mapping: "done".into(),
            clients: vec![
                client(
                    "Bowman Furniture",
                    mapped("Bowman Furniture Inc.", "11", "override"),
                ),
                client(
                    "Globex Partners",
                    unmapped("no Account is named \"Globex Partners\""),
                ),
                client(
                    "Northwind Traders",
                    unmapped("2 Accounts are named \"Northwind Traders\" (ids 21, 22)"),
                ),
                client(
                    "Bowman EU",
                    unmapped(
                        "Account \"Bowman Furniture Inc.\" is already mapped to client \"Bowman Furniture\"",
                    ),
                ),
                client("Initech", mapped("Initech", "31", "auto")),
            ],
            client_users: vec![
                user(
                    "Initech",
                    "peter@initech.example",
                    mapped("peter@initech.example", "41", "auto"),
                ),
                user(
                    "Globex Partners",
                    "hank@globex.example",
                    unmapped("no Contact has the email hank@globex.example"),
                ),
                user(
                    "Northwind Traders",
                    "nancy@northwind.example",
                    unmapped("2 Contacts have the email nancy@northwind.example (ids 51, 52)"),
                ),
                user(
                    "Initech",
                    "bill@initech.example",
                    unmapped("the write to Contacts 42 failed: DUPLICATE_DATA"),
                ),
            ],
        };
        insta::assert_snapshot!(text(&report));
    }
}
