//! The write path at scale: an upsert batch matched on a field that is not the module's
//! system duplicate check, against 50,000 stored records, finds its matches through the value
//! index rather than by reading every record's JSON.

use projectlink::sandbox::crm::value_index::FIND_SQL;
use serde_json::{Value, json};

use super::support::Env;

const STORED: u32 = 50_000;

/// Stores `STORED` Accounts straight into the sandbox's database (the API would take minutes
/// to add them), each with a distinct Account_Number.
fn store_accounts(env: &Env) {
    let db = rusqlite::Connection::open(env.dir.path().join("sandbox.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute_batch(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {STORED})
         INSERT INTO crm_records(module, id, data, dup_key, created_ms, modified_ms)
         SELECT 'Accounts', printf('4876876%012d', 900000000 + i),
                json_object('Account_Name', 'Bulk ' || i, 'Account_Number', 'AN-' || i),
                'bulk ' || i, 0, 0
         FROM n"
    ))
    .unwrap();
}

#[tokio::test]
async fn an_upsert_batch_against_50k_records_looks_them_up_by_index() {
    let env = Env::start().await;
    store_accounts(&env);
    // 50 numbers that exist (in another case) and 50 that do not.
    let data: Vec<Value> = (0..100)
        .map(|i| {
            let number = if i < 50 {
                format!("an-{}", i * 997 + 1)
            } else {
                format!("NEW-{i}")
            };
            json!({"Account_Name": format!("Upserted {i}"), "Account_Number": number})
        })
        .collect();
    let answer = env
        .post(
            "/crm/v8/Accounts/upsert",
            json!({"data": data, "duplicate_check_fields": ["Account_Number"]}),
        )
        .await;
    let items = answer.ok()["data"].as_array().unwrap().clone();
    assert_eq!(items.len(), 100);
    for (i, item) in items.iter().enumerate() {
        if i < 50 {
            assert_eq!(item["action"], "update", "{item}");
            assert_eq!(item["duplicate_field"], "Account_Number", "{item}");
            let id = format!("4876876{:012}", 900_000_000 + i * 997 + 1);
            assert_eq!(item["details"]["id"], id.as_str(), "{item}");
        } else {
            assert_eq!(item["action"], "insert", "{item}");
        }
    }

    let db = rusqlite::Connection::open(env.dir.path().join("sandbox.db")).unwrap();
    // Every stored record's value is in the index, the ones just written included.
    let indexed: u32 = db
        .query_row(
            "SELECT COUNT(*) FROM crm_record_values
             WHERE module = 'Accounts' AND field = 'Account_Number'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(indexed >= STORED + 50, "{indexed} values indexed");
    // And the lookup each item made is a search of that index, not a scan.
    let plan: Vec<String> = db
        .prepare(&format!("EXPLAIN QUERY PLAN {FIND_SQL}"))
        .unwrap()
        .query_map(
            rusqlite::params!["Accounts", "Account_Number", false, "an-1", ""],
            |r| r.get::<_, String>(3),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(
        plan[0].starts_with("SEARCH crm_record_values USING PRIMARY KEY"),
        "{plan:?}"
    );
}
