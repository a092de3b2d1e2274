//! The client mapping report in text and markdown (JSON carries it as `client_mapping`):
//! per client company, mapped to which Account or unmapped and why. Long reports are cut to
//! the first entries with a count, so a plan for thousands of clients stays readable.

use std::fmt::Write;

use crate::plan::data_plane::{MappingReport, MappingStatus};

/// Entries shown per status before the rest is summarized.
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
    let mut out = Vec::new();
    for group in [unmapped, mapped] {
        let total = group.len();
        out.extend(group.into_iter().take(SHOWN));
        if total > SHOWN {
            out.push((
                format!("… and {} more", total - SHOWN),
                "(all are in --format json)".into(),
            ));
        }
    }
    out
}

fn counts(report: &MappingReport) -> (usize, usize) {
    let mapped = report
        .clients
        .iter()
        .filter(|c| matches!(c.status, MappingStatus::Mapped { .. }))
        .count();
    (mapped, report.clients.len() - mapped)
}

pub fn text(report: &MappingReport) -> String {
    let (mapped, unmapped) = counts(report);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Client mapping (automatic mapping: {}): {mapped} mapped, {unmapped} unmapped",
        report.automatic_mapping
    );
    for (label, detail) in lines(report) {
        let _ = writeln!(out, "  {label}: {detail}");
    }
    out
}

pub fn markdown(report: &MappingReport) -> String {
    let (mapped, unmapped) = counts(report);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**Client mapping** (automatic mapping: {}): {mapped} mapped, {unmapped} unmapped",
        report.automatic_mapping
    );
    let _ = writeln!(out);
    if report.clients.is_empty() && report.client_users.is_empty() {
        return out;
    }
    let _ = writeln!(out, "| Client | Mapping |");
    let _ = writeln!(out, "|---|---|");
    for (label, detail) in lines(report) {
        let _ = writeln!(
            out,
            "| {} | {} |",
            label.replace('|', "\\|"),
            detail.replace('|', "\\|")
        );
    }
    let _ = writeln!(out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::data_plane::ClientMappingEntry;

    fn report(n: usize) -> MappingReport {
        MappingReport {
            automatic_mapping: "done".into(),
            clients: (0..n)
                .map(|i| ClientMappingEntry {
                    client: format!("C{i}"),
                    client_id: i.to_string(),
                    status: if i == 0 {
                        MappingStatus::Unmapped {
                            reason: "no Account is named \"C0\"".into(),
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
            client_users: vec![],
        }
    }

    #[test]
    fn reasons_are_shown_and_long_reports_are_cut_with_a_count() {
        let t = text(&report(30));
        assert!(t.contains("29 mapped, 1 unmapped"), "{t}");
        assert!(
            t.contains("client \"C0\": unmapped: no Account is named \"C0\""),
            "{t}"
        );
        assert!(t.contains("… and 9 more"), "{t}");
        let m = markdown(&report(3));
        assert!(
            m.contains("| client \"C1\" | mapped to \"A1\" (auto) |"),
            "{m}"
        );
    }
}
