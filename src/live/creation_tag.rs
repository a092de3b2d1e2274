//! The tag projectlink writes into the description of a project it creates: how a later run
//! tells its own project from a hand-made one, and how field maps read the description
//! without it.

/// The tag projectlink writes into the description of a project it creates, so a later run
/// can tell its own project (to adopt after an interruption) from one of an earlier
/// activation (whose associations are not restored).
pub fn creation_tag_text(owner: &str, generation: u64) -> String {
    format!("{} generation {generation}", super::ownership_marker(owner))
}

/// `(owner, generation)` of the creation tag inside a description, if any.
pub fn creation_tag(description: &str) -> Option<(String, u64)> {
    let owner = super::owner_in(description)?;
    let rest = &description[description.find(" generation ")? + " generation ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((owner, digits.parse().ok()?))
}

/// A description without the creation tag projectlink appended to it (and the blank line
/// before the tag), so field maps carry only what people wrote.
pub fn without_creation_tag(description: &str) -> String {
    let Some(start) = description.find(super::OWNERSHIP_PREFIX) else {
        return description.trim_end().to_string();
    };
    let rest = &description[start..];
    let Some(g) = rest.find(" generation ") else {
        return description.trim_end().to_string();
    };
    let digits = rest[g + " generation ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    let end = g + " generation ".len() + digits;
    format!("{}{}", description[..start].trim_end(), &rest[end..])
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_tags_round_trip_inside_other_text() {
        let text = format!("Kick-off notes.\n\n{}", creation_tag_text("acme", 3));
        assert_eq!(creation_tag(&text), Some(("acme".into(), 3)));
        assert_eq!(creation_tag("hand-made project"), None);
    }

    #[test]
    fn descriptions_are_read_without_the_creation_tag() {
        let tag = creation_tag_text("acme", 3);
        assert_eq!(
            without_creation_tag(&format!("Fit-out\nLeeds\n\n{tag}")),
            "Fit-out\nLeeds"
        );
        assert_eq!(without_creation_tag(&tag), "");
        assert_eq!(without_creation_tag("Hand-made  "), "Hand-made");
        let other = format!("{} is mentioned", super::super::ownership_marker("acme"));
        assert_eq!(without_creation_tag(&other), other);
    }
}
