//! Property tests of the Graph query options: hostile option names and values are Graph's
//! 400 `BadRequest` with a bounded message, and `$filter` stops at its node count limit.

use proptest::prelude::*;

use super::*;
use crate::sandbox::hostile_input;

fn option() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$filter"),
        Just("$select"),
        Just("$top"),
        Just("$skip"),
        Just("$expand"),
        Just("$skiptoken"),
        Just("$deltatoken"),
        Just("startDateTime"),
        Just("$orderby"),
    ]
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(hostile_input::config(256))]

    #[test]
    fn hostile_options_are_bad_requests_with_bounded_messages(
        pairs in proptest::collection::vec(
            (prop_oneof![option(), hostile_input::text()], hostile_input::text()),
            1..4,
        ),
    ) {
        let parsed = hostile_input::on_small_stack(move || Options::parse(pairs));
        if let Err(e) = parsed {
            prop_assert_eq!((e.status.as_u16(), e.code), (400, "BadRequest"));
            prop_assert!(e.message.chars().count() < 4 * EXCERPT_LIMIT, "{}", e.message);
        }
    }

    #[test]
    fn filters_past_the_node_limit_are_refused(n in 1usize..400) {
        let text = vec!["subject eq 'x'"; n].join(" and ");
        let parsed = Filter::parse(&text);
        prop_assert_eq!(parsed.is_ok(), n <= MAX_FILTER_NODES);
        if let Ok(f) = parsed {
            prop_assert_eq!(f.clauses.len(), n);
        }
    }
}

const EXCERPT_LIMIT: usize = crate::sandbox::request_limits::EXCERPT_CHARS * 2;
