//! Unit tests of the metadata reads: cached fields and permissions stand only under the very
//! stamp they were read with, settled before the last watermark, and for the same module.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::live::snapshot::{LinkModuleFacts, PermissionFacts, PermissionKind};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn stamp(id: &str, time: &str) -> Stamp {
    Stamp {
        id: id.into(),
        modified_time: at(time),
    }
}

fn field(api_name: &str) -> Field {
    Field {
        id: format!("f-{api_name}"),
        api_name: api_name.into(),
        custom_field: Some(true),
        ..Field::default()
    }
}

fn module(id: &str, api_name: &str, time: Option<&str>) -> Module {
    Module {
        id: id.into(),
        api_name: api_name.into(),
        modified_time: time.map(at),
        ..Module::default()
    }
}

fn profile(id: &str, name: &str, time: Option<&str>) -> Profile {
    Profile {
        id: id.into(),
        name: name.into(),
        modified_time: time.map(at),
        ..Profile::default()
    }
}

/// A read of a module's fields that counts its calls: one field named after the module.
#[derive(Default)]
struct Reader {
    calls: AtomicUsize,
}

impl Reader {
    async fn fields(&self, reads: &MetadataReads<'_>, module: &str) -> Vec<String> {
        let read = || async {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(vec![field(&format!("Live_{module}"))])
        };
        let fields = reads.fields_or_read(module, read).await.unwrap();
        fields.into_iter().map(|f| f.api_name).collect()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// An observation cached with a CRM watermark of 10:00 (less no overlap): Deals' fields and
/// the Standard profile's permissions on the link module `Linked_Projects` (id m2).
fn cached() -> (Observed, CrmMetadata) {
    let standard = ProfileFacts {
        id: "p1".into(),
        name: "Standard".into(),
        link_permissions: [(
            PermissionKind::View,
            PermissionFacts {
                id: "perm1".into(),
                enabled: true,
                locked: false,
            },
        )]
        .into(),
    };
    let observed = Observed {
        link_module: Some(LinkModuleFacts {
            id: "m2".into(),
            api_name: "Linked_Projects".into(),
            owner: None,
            fields: vec![],
        }),
        profiles: vec![standard],
        ..Observed::default()
    };
    let metadata = CrmMetadata {
        modules: [(
            "Deals".to_string(),
            CachedFields {
                stamp: stamp("m1", "2026-01-05T09:00:00Z"),
                fields: vec![field("Cached_Deals")],
            },
        )]
        .into(),
        profiles: [("p1".to_string(), stamp("p1", "2026-01-05T09:30:00Z"))].into(),
    };
    (observed, metadata)
}

const SETTLED: &str = "2026-01-05T10:00:00Z";

#[test]
fn a_stamp_holds_only_when_equal_and_its_whole_second_is_settled() {
    let settled = at(SETTLED);
    let cached = stamp("m1", "2026-01-05T09:59:59Z");
    assert!(still_holds(Some(&cached), Some(&cached), settled));
    let later = stamp("m1", "2026-01-05T10:00:00Z");
    assert!(
        !still_holds(Some(&later), Some(&later), settled),
        "a change later in the same second would keep the stamp"
    );
    let moved = stamp("m1", "2026-01-05T09:59:58Z");
    assert!(!still_holds(Some(&cached), Some(&moved), settled));
    let recreated = stamp("m9", "2026-01-05T09:59:59Z");
    assert!(!still_holds(Some(&cached), Some(&recreated), settled));
    assert!(
        !still_holds(None, Some(&cached), settled),
        "new to the cache"
    );
    assert!(
        !still_holds(Some(&cached), None, settled),
        "listed without a time"
    );
}

#[tokio::test]
async fn fields_of_an_unchanged_module_come_from_the_cache_and_are_kept() {
    let (observed, metadata) = cached();
    let reads = MetadataReads::on(&observed, &metadata, at(SETTLED));
    reads.listed_modules(&[module("m1", "Deals", Some("2026-01-05T09:00:00Z"))]);
    let crm = Reader::default();
    assert_eq!(crm.fields(&reads, "Deals").await, ["Cached_Deals"]);
    assert_eq!(crm.calls(), 0);
    assert_eq!(
        reads.kept().modules,
        metadata.modules,
        "carried to the next cache"
    );
}

#[tokio::test]
async fn fields_of_a_changed_new_recreated_or_untimed_module_are_read_once() {
    let (observed, metadata) = cached();
    let reads = MetadataReads::on(&observed, &metadata, at(SETTLED));
    reads.listed_modules(&[
        module("m1", "Deals", Some("2026-01-05T09:40:00Z")),
        module("m3", "Accounts", Some("2026-01-05T08:00:00Z")),
        module("m0", "Home", None),
    ]);
    let crm = Reader::default();
    for name in ["Deals", "Accounts", "Home", "Deals", "Accounts"] {
        assert_eq!(crm.fields(&reads, name).await, [format!("Live_{name}")]);
    }
    // Deals and Accounts once each, memoised for the rest of the observation; Home, with no
    // time to key on, on every call.
    assert_eq!(crm.calls(), 3);
    let kept = reads.kept();
    assert_eq!(
        kept.modules.keys().collect::<Vec<_>>(),
        ["Accounts", "Deals"]
    );
    assert_eq!(
        kept.modules["Deals"].stamp,
        stamp("m1", "2026-01-05T09:40:00Z")
    );

    let recreated = MetadataReads::on(&observed, &metadata, at(SETTLED));
    recreated.listed_modules(&[module("m7", "Deals", Some("2026-01-05T09:00:00Z"))]);
    crm.fields(&recreated, "Deals").await;
    assert_eq!(crm.calls(), 4, "another module id");
}

#[tokio::test]
async fn a_module_changed_less_than_a_second_before_the_watermark_is_read() {
    let (observed, mut metadata) = cached();
    let recent = "2026-01-05T09:59:59.500Z";
    metadata.modules.get_mut("Deals").unwrap().stamp = stamp("m1", recent);
    let reads = MetadataReads::on(&observed, &metadata, at("2026-01-05T10:00:00.200Z"));
    reads.listed_modules(&[module("m1", "Deals", Some(recent))]);
    let crm = Reader::default();
    crm.fields(&reads, "Deals").await;
    assert_eq!(crm.calls(), 1);
}

#[test]
fn a_profile_stands_while_its_stamp_and_the_link_module_do() {
    let (observed, metadata) = cached();
    let reads = MetadataReads::on(&observed, &metadata, at(SETTLED));
    let link = module("m2", "Linked_Projects", Some("2026-01-05T09:00:00Z"));
    let renamed = profile("p1", "Sales Standard", Some("2026-01-05T09:30:00Z"));
    let standing = reads
        .cached_profile(&renamed, &link)
        .expect("the stamp holds");
    assert_eq!(
        standing.name, "Sales Standard",
        "the name is the listed one"
    );
    assert!(standing.link_permission(PermissionKind::View));

    let edited = profile("p1", "Standard", Some("2026-01-05T09:31:00Z"));
    assert_eq!(
        reads.cached_profile(&edited, &link),
        None,
        "permissions changed"
    );
    let new = profile("p2", "Support", Some("2026-01-05T09:00:00Z"));
    assert_eq!(reads.cached_profile(&new, &link), None, "new to the cache");
    let untimed = profile("p1", "Standard", None);
    assert_eq!(reads.cached_profile(&untimed, &link), None);
    let recreated = module("m7", "Linked_Projects", Some("2026-01-05T09:00:00Z"));
    let standard = profile("p1", "Standard", Some("2026-01-05T09:30:00Z"));
    assert_eq!(
        reads.cached_profile(&standard, &recreated),
        None,
        "permissions of another module"
    );
}

#[test]
fn a_full_observation_reuses_nothing_and_keeps_the_stamps_it_listed() {
    let reads = MetadataReads::default();
    let link = module("m2", "Linked_Projects", Some("2026-01-05T09:00:00Z"));
    let standard = profile("p1", "Standard", Some("2026-01-05T09:30:00Z"));
    assert_eq!(reads.cached_profile(&standard, &link), None);
    reads.note_profile(&standard);
    reads.note_profile(&profile("p2", "Untimed", None));
    let kept = reads.kept();
    assert_eq!(
        kept.profiles.keys().collect::<Vec<_>>(),
        ["p1"],
        "a profile listed without a time keeps no stamp"
    );
}

#[test]
fn cached_fields_read_back_as_they_were_answered() {
    // A field as Zoho answers it, with the parts observation reads: a lookup, a tooltip,
    // picklist values, uniqueness. The cache file must give back the same field.
    let answered: Field = serde_json::from_value(serde_json::json!({
        "id": 4876876000000101_u64,
        "api_name": "Deal",
        "field_label": "Deal",
        "data_type": "lookup",
        "custom_field": true,
        "lookup": {"module": {"api_name": "Deals", "id": "4876876000000003"}},
        "tooltip": {"name": "Info Icon", "value": "managed by projectlink (acme)"},
        "pick_list_values": [{"display_value": "Open", "actual_value": "Open"}],
        "unique": {"casesensitive": "false"},
    }))
    .unwrap();
    let metadata = CrmMetadata {
        modules: [(
            "Linked_Projects".to_string(),
            CachedFields {
                stamp: stamp("m2", "2026-01-05T09:00:00Z"),
                fields: vec![answered.clone()],
            },
        )]
        .into(),
        profiles: BTreeMap::new(),
    };
    let text = serde_json::to_string(&metadata).unwrap();
    let back: CrmMetadata = serde_json::from_str(&text).unwrap();
    assert_eq!(back, metadata);
    let field = &back.modules["Linked_Projects"].fields[0];
    assert_eq!(field.lookup_module(), Some("Deals"));
    assert_eq!(field.id, "4876876000000101");
    assert!(field.is_unique());
}
