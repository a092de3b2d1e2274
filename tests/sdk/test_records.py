"""The SDK's record, search, COQL, count and tag operations against the sandbox.

The tests share one module's data and run in file order: insert 100 contacts, page through
them, change, search, count, delete them. Every check reads the SDK's parsed records.
"""

import pytest

from zohocrmsdk.src.com.zoho.crm.api import coql as zq
from zohocrmsdk.src.com.zoho.crm.api import record as zr
from zohocrmsdk.src.com.zoho.crm.api import tags as zt
from zohocrmsdk.src.com.zoho.crm.api.header_map import HeaderMap
from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import Field

from sdkcheck import successes, unwrap, value

MODULE = "Contacts"
BATCH = "SDK Batch"
state = {}


def params(*pairs):
    pm = ParameterMap()
    for param, val in pairs:
        pm.add(param, val)
    return pm


def contact(last, email, **extra):
    rec = zr.Record()
    rec.add_field_value(Field.Contacts.last_name(), last)
    rec.add_field_value(Field.Contacts.email(), email)
    for key, val in extra.items():
        rec.add_key_value(key, val)
    return rec


def body(records, **options):
    wrapper = zr.BodyWrapper()
    wrapper.set_data(records)
    for key, val in options.items():
        getattr(wrapper, "set_" + key)(val)
    return wrapper


def ops():
    return zr.RecordOperations(MODULE)


def test_insert_100():
    records = [
        contact(f"Batch{i:03d}", f"batch{i:03d}@sdk.example", First_Name=BATCH) for i in range(100)
    ]
    answer = unwrap(ops().create_records(body(records)), zr.ActionWrapper, (201,))
    details = successes(answer.get_data(), zr.SuccessResponse, 100)
    state["ids"] = [int(d["id"]) for d in details]
    assert len(set(state["ids"])) == 100
    assert all(d["Created_By"].get_id() for d in details)


def test_get_one_record():
    rid = state["ids"][7]
    got = unwrap(ops().get_record(rid), zr.ResponseWrapper).get_data()
    assert len(got) == 1
    rec = got[0]
    assert rec.get_id() == rid
    assert rec.get_key_value("Last_Name") == "Batch007"
    assert rec.get_key_value("Email") == "batch007@sdk.example"
    assert rec.get_key_value("First_Name") == BATCH
    assert rec.get_created_time() is not None


def test_list_by_page():
    wanted = "Last_Name,Email,First_Name"
    first = unwrap(
        ops().get_records(
            params(
                (zr.GetRecordsParam.fields, wanted),
                (zr.GetRecordsParam.page, 1),
                (zr.GetRecordsParam.per_page, 40),
            )
        ),
        zr.ResponseWrapper,
    )
    info = first.get_info()
    assert info.get_per_page() == 40 and info.get_page() == 1 and info.get_count() == 40
    assert info.get_more_records() is True
    second = unwrap(
        ops().get_records(
            params(
                (zr.GetRecordsParam.fields, wanted),
                (zr.GetRecordsParam.page, 2),
                (zr.GetRecordsParam.per_page, 40),
            )
        ),
        zr.ResponseWrapper,
    )
    ids_one = {r.get_id() for r in first.get_data()}
    ids_two = {r.get_id() for r in second.get_data()}
    assert len(ids_one) == 40 and len(ids_two) == 40 and not ids_one & ids_two
    state["page_token"] = info.get_next_page_token()


def test_list_by_page_token():
    token = state["page_token"]
    assert token, "the first page names the next page's token"
    seen, pages = set(), 0
    while token:
        page = unwrap(
            ops().get_records(
                params(
                    (zr.GetRecordsParam.fields, "Last_Name"),
                    (zr.GetRecordsParam.per_page, 40),
                    (zr.GetRecordsParam.page_token, token),
                )
            ),
            zr.ResponseWrapper,
        )
        seen |= {r.get_id() for r in page.get_data()}
        token = page.get_info().get_next_page_token() if page.get_info().get_more_records() else None
        pages += 1
        assert pages < 10
    # 100 batch contacts and the seed's 2, 40 of them on the first page.
    assert len(seen) == 62
    assert set(state["ids"]) - seen


def test_update():
    ids = state["ids"][:3]
    changes = []
    for n, rid in enumerate(ids):
        rec = zr.Record()
        rec.set_id(rid)
        rec.add_field_value(Field.Contacts.title(), f"Title {n}")
        changes.append(rec)
    successes(
        unwrap(ops().update_records(body(changes)), zr.ActionWrapper).get_data(),
        zr.SuccessResponse,
        3,
    )
    one = zr.Record()
    one.add_field_value(Field.Contacts.phone(), "+44 20 7946 0999")
    successes(
        unwrap(ops().update_record(ids[0], body([one])), zr.ActionWrapper).get_data(),
        zr.SuccessResponse,
        1,
    )
    got = unwrap(ops().get_record(ids[0]), zr.ResponseWrapper).get_data()[0]
    assert got.get_key_value("Title") == "Title 0"
    assert got.get_key_value("Phone") == "+44 20 7946 0999"


def test_upsert_on_unique_field():
    update = contact("Bowman", "jane@bowman.example", External_Ref="EXT-JANE", Title="COO")
    insert = contact("Upserted", "new@sdk.example", External_Ref="EXT-NEW")
    answer = unwrap(
        ops().upsert_records(body([update, insert], duplicate_check_fields=["External_Ref"])),
        zr.ActionWrapper,
        (200, 201),
    )
    items = list(answer.get_data())
    details = successes(items, zr.SuccessResponse, 2)
    assert [value(i.get_message()) for i in items] == ["record updated", "record added"]
    jane = unwrap(ops().get_record(int(details[0]["id"])), zr.ResponseWrapper).get_data()[0]
    assert jane.get_key_value("Title") == "COO"
    state["upserted"] = int(details[1]["id"])


@pytest.mark.parametrize(
    "param,term,expected",
    [
        (zr.SearchRecordsParam.criteria, "(Last_Name:equals:Batch042)", {"Batch042"}),
        (zr.SearchRecordsParam.email, "batch043@sdk.example", {"Batch043"}),
        (zr.SearchRecordsParam.word, "Upserted", {"Upserted"}),
        (zr.SearchRecordsParam.phone, "+44 20 7946 0999", {"Batch000"}),
    ],
)
def test_search(param, term, expected):
    found = unwrap(
        ops().search_records(params((param, term), (zr.SearchRecordsParam.fields, "Last_Name"))),
        zr.ResponseWrapper,
    )
    assert {r.get_key_value("Last_Name") for r in found.get_data()} == expected
    assert found.get_info().get_count() == len(expected)


def test_count():
    everything = unwrap(ops().record_count(), zr.CountWrapper)
    assert int(everything.get_count()) == 103
    batch = unwrap(
        ops().record_count(params((zr.RecordCountParam.criteria, f"(First_Name:equals:{BATCH})"))),
        zr.CountWrapper,
    )
    assert int(batch.get_count()) == 100


def test_coql():
    query = zq.BodyWrapper()
    query.set_select_query(
        "select Last_Name, Email from Contacts where First_Name = 'SDK Batch' "
        "and Last_Name like 'Batch01%' order by Last_Name limit 5"
    )
    answer = unwrap(zq.CoqlOperations().get_records(query), zq.ResponseWrapper)
    names = [r.get_key_value("Last_Name") for r in answer.get_data()]
    assert names == [f"Batch01{i}" for i in range(5)]
    assert answer.get_data()[0].get_key_value("Email") == "batch010@sdk.example"
    assert answer.get_info().get_count() == 5
    assert answer.get_info().get_more_records() is True


def test_tags_in_settings_and_per_record():
    tag_ops = zt.TagsOperations()
    listed = unwrap(tag_ops.get_tags(params((zt.GetTagsParam.module, MODULE))), zt.ResponseWrapper)
    assert "Key Account" in {t.get_name() for t in listed.get_tags()}

    new = zt.Tag()
    new.set_name("SDK Tagged")
    wrapper = zt.BodyWrapper()
    wrapper.set_tags([new])
    created = unwrap(
        tag_ops.create_tags(wrapper, params((zt.CreateTagsParam.module, MODULE))),
        zt.ActionWrapper,
        (200, 201),
    )
    details = successes(created.get_tags(), zt.SuccessResponse, 1)
    assert details[0]["id"]

    rid = state["ids"][5]
    tag = zt.Tag()
    tag.set_name("SDK Tagged")
    add = zt.NewTagRequestWrapper()
    add.set_tags([tag])
    added = unwrap(tag_ops.add_tags(MODULE, rid, add), zt.RecordActionWrapper)
    successes(added.get_data(), zt.RecordSuccessResponse, 1)
    rec = unwrap(ops().get_record(rid), zr.ResponseWrapper).get_data()[0]
    assert [t.get_name() for t in rec.get_tag()] == ["SDK Tagged"]

    by_id = zt.ExistingTag()
    by_id.set_id(int(details[0]["id"]))
    remove = zt.ExistingTagRequestWrapper()
    remove.set_tags([by_id])
    removed = unwrap(tag_ops.remove_tags(MODULE, rid, remove), zt.RecordActionWrapper)
    successes(removed.get_data(), zt.RecordSuccessResponse, 1)
    rec = unwrap(ops().get_record(rid), zr.ResponseWrapper).get_data()[0]
    assert not rec.get_tag()


def test_delete_and_deleted_records():
    doomed = state["ids"][90:] + [state["upserted"]]
    answer = unwrap(
        ops().delete_records(params((zr.DeleteRecordsParam.ids, ",".join(map(str, doomed))))),
        zr.ActionWrapper,
    )
    successes(answer.get_data(), zr.SuccessResponse, len(doomed))
    single = unwrap(ops().delete_record(state["ids"][0]), zr.ActionWrapper)
    successes(single.get_data(), zr.SuccessResponse, 1)
    bin_ = unwrap(
        ops().get_deleted_records(params((zr.GetDeletedRecordsParam.type, "recycle"))),
        zr.DeletedRecordsWrapper,
    )
    deleted = {d.get_id(): d for d in bin_.get_data()}
    assert set(doomed) | {state["ids"][0]} <= set(deleted)
    assert deleted[state["ids"][0]].get_display_name() == "SDK Batch Batch000"
    assert value(deleted[state["ids"][0]].get_type()) == "recycle"
    assert deleted[state["ids"][0]].get_deleted_by().get_name() == "Ada Admin"
