"""Microsoft's Graph SDK against the sandbox: the calls the Office 365 sync makes (users,
calendars and events, contact folders and contacts, delta rounds, calendarView), each
succeeding, and a calendar range over Graph's 1,825 days refused as Graph refuses it."""

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.calendar import Calendar
from msgraph.generated.models.contact import Contact
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.location import Location
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.item.calendar.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.calendars.item.calendar_view.delta.delta_request_builder import (
    DeltaRequestBuilder as CalendarDelta,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from conftest import OTHER, USER

RANGE = ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")


def at(text):
    return DateTimeTimeZone(date_time=text, time_zone="UTC")


def window(start, end):
    return RequestConfiguration(
        query_parameters=CalendarDelta.DeltaRequestBuilderGetQueryParameters(
            start_date_time=start, end_date_time=end
        ),
        headers={"Prefer": "odata.maxpagesize=2"},
    )


async def delta_round(first, builder):
    """Every page of a round: (items, delta link, pages)."""
    page = await first
    items, pages = list(page.value or []), 1
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        items += page.value or []
        pages += 1
    assert page.odata_delta_link, "a round ends with a delta link"
    return items, page.odata_delta_link, pages


def test_users_and_what_an_invite_reads(client, run):
    users = run(client.users.get())
    names = sorted(u.user_principal_name for u in users.value)
    assert names == [USER, OTHER]
    config = RequestConfiguration(
        query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "displayName", "mail", "userPrincipalName", "accountEnabled"]
        )
    )
    ada = run(client.users.by_user_id(USER).get(request_configuration=config))
    assert ada.display_name == "Ada Admin"
    assert ada.account_enabled is True
    by_id = run(client.users.by_user_id(ada.id).get())
    assert by_id.user_principal_name == USER


def test_events_are_created_updated_and_deleted(client, run):
    mailbox = client.users.by_user_id(OTHER)
    made = run(mailbox.calendars.post(Calendar(name="Zoho CRM")))
    assert made.name == "Zoho CRM"
    calendars = run(mailbox.calendars.get())
    assert "Zoho CRM" in [c.name for c in calendars.value]
    events = mailbox.calendars.by_calendar_id(made.id).events
    event = run(
        events.post(
            Event(
                subject="Kick-off",
                start=at("2026-05-04T09:00:00"),
                end=at("2026-05-04T10:00:00"),
                location=Location(display_name="Room 1"),
            )
        )
    )
    assert event.subject == "Kick-off"
    assert event.start.time_zone == "UTC"
    patched = run(
        events.by_event_id(event.id).patch(Event(subject="Kick-off (moved)"))
    )
    assert patched.subject == "Kick-off (moved)"
    assert patched.location.display_name == "Room 1"
    run(events.by_event_id(event.id).delete())
    with pytest.raises(ODataError) as gone:
        run(events.by_event_id(event.id).get())
    assert gone.value.response_status_code == 404
    # The default calendar, without its id.
    default = run(mailbox.calendar.events.post(
        Event(subject="Default", start=at("2026-05-05T09:00:00"), end=at("2026-05-05T10:00:00"))
    ))
    assert run(mailbox.events.by_event_id(default.id).get()).subject == "Default"


def test_calendar_delta_rounds_follow_every_change(client, run):
    mailbox = client.users.by_user_id(USER)
    calendar = run(mailbox.calendar.get())
    builder = mailbox.calendars.by_calendar_id(calendar.id).calendar_view.delta
    items, link, pages = run(
        delta_round(builder.get(request_configuration=window(*RANGE)), builder)
    )
    assert sorted(i.subject for i in items) == ["Planning", "Retro", "Review"]
    assert pages == 2
    assert "delta()" in link

    made = run(mailbox.calendar.events.post(
        Event(subject="Added", start=at("2026-06-01T09:00:00"), end=at("2026-06-01T10:00:00"))
    ))
    changes, link, _ = run(delta_round(builder.with_url(link).get(), builder))
    assert [c.subject for c in changes] == ["Added"]
    run(mailbox.events.by_event_id(made.id).delete())
    changes, _, _ = run(delta_round(builder.with_url(link).get(), builder))
    assert [c.id for c in changes] == [made.id]
    assert "@removed" in changes[0].additional_data


def test_calendar_view_lists_a_range_page_by_page(client, run):
    view = client.users.by_user_id(USER).calendar.calendar_view
    config = RequestConfiguration(
        query_parameters=CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
            start_date_time=RANGE[0], end_date_time=RANGE[1], top=2, select=["subject", "start"]
        )
    )
    page = run(view.get(request_configuration=config))
    subjects = [e.subject for e in page.value]
    assert len(subjects) == 2
    assert page.odata_next_link
    page = run(view.with_url(page.odata_next_link).get())
    subjects += [e.subject for e in page.value]
    assert subjects[:3] == ["Planning", "Review", "Retro"]


def test_contacts_in_the_default_folder_and_a_named_one_with_delta(client, run):
    mailbox = client.users.by_user_id(OTHER)
    first, link, _ = run(delta_round(mailbox.contacts.delta.get(), mailbox.contacts.delta))
    made = run(mailbox.contacts.post(Contact(
        given_name="Dora",
        surname="Default",
        email_addresses=[EmailAddress(address="dora@example.com", name="Dora Default")],
    )))
    listed = run(mailbox.contacts.get())
    assert [c.surname for c in listed.value] == ["Default"] + [c.surname for c in first]
    changes, _, _ = run(delta_round(mailbox.contacts.delta.with_url(link).get(), mailbox.contacts.delta))
    assert [c.id for c in changes] == [made.id]
    assert changes[0].email_addresses[0].address == "dora@example.com"

    folders = run(client.users.by_user_id(USER).contact_folders.get())
    folder = next(f for f in folders.value if f.display_name == "CRM Contacts")
    delta = client.users.by_user_id(USER).contact_folders.by_contact_folder_id(folder.id).contacts.delta
    items, _, _ = run(delta_round(delta.get(), delta))
    assert [c.surname for c in items] == ["Bowman"]


def test_a_calendar_range_over_1825_days_is_refused_as_graph_refuses_it(client, run):
    mailbox = client.users.by_user_id(USER)
    calendar = run(mailbox.calendar.get())
    builder = mailbox.calendars.by_calendar_id(calendar.id).calendar_view.delta
    # 1,825 days is served.
    run(builder.get(request_configuration=window("2025-01-01T00:00:00Z", "2029-12-31T00:00:00Z")))
    with pytest.raises(ODataError) as refused:
        run(builder.get(request_configuration=window("2025-01-01T00:00:00Z", "2030-01-01T00:00:00Z")))
    assert refused.value.response_status_code == 400
    assert refused.value.error.code == "ErrorInvalidRequest"
    assert refused.value.error.message == (
        "Your request can't be completed. The range between the start and end dates is "
        "greater than the allowed range. Maximum number of days: 1825"
    )
