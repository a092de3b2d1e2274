"""The SDK's settings, users and org operations against the sandbox, as its samples use them.

Each test checks the SDK's own parsed objects (names, emails, counts), so a field the twin
types differently from Zoho fails here even when the HTTP status is right.
"""

from zohocrmsdk.src.com.zoho.crm.api.fields import FieldsOperations, GetFieldsParam, GetFieldParam
from zohocrmsdk.src.com.zoho.crm.api.fields import ResponseWrapper as FieldsWrapper
from zohocrmsdk.src.com.zoho.crm.api.layouts import LayoutsOperations, GetLayoutsParam, GetLayoutParam
from zohocrmsdk.src.com.zoho.crm.api.layouts import ResponseWrapper as LayoutsWrapper
from zohocrmsdk.src.com.zoho.crm.api.modules import ModulesOperations
from zohocrmsdk.src.com.zoho.crm.api.modules import ResponseWrapper as ModulesWrapper
from zohocrmsdk.src.com.zoho.crm.api.org import OrgOperations
from zohocrmsdk.src.com.zoho.crm.api.org import ResponseWrapper as OrgWrapper
from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.profiles import ProfilesOperations
from zohocrmsdk.src.com.zoho.crm.api.profiles import ResponseWrapper as ProfilesWrapper
from zohocrmsdk.src.com.zoho.crm.api.related_lists import (
    RelatedListsOperations,
    GetRelatedListsParam,
    GetRelatedListParam,
)
from zohocrmsdk.src.com.zoho.crm.api.related_lists import ResponseWrapper as RelatedWrapper
from zohocrmsdk.src.com.zoho.crm.api.roles import RolesOperations
from zohocrmsdk.src.com.zoho.crm.api.roles import ResponseWrapper as RolesWrapper
from zohocrmsdk.src.com.zoho.crm.api.users import UsersOperations, GetUsersParam, UsersCountParam
from zohocrmsdk.src.com.zoho.crm.api.users import CountWrapper as UsersCount
from zohocrmsdk.src.com.zoho.crm.api.users import ResponseWrapper as UsersWrapper
from zohocrmsdk.src.com.zoho.crm.api import profiles as zp
from zohocrmsdk.src.com.zoho.crm.api import users as zu
from zohocrmsdk.src.com.zoho.crm.api import variables as zv
from zohocrmsdk.src.com.zoho.crm.api.util.choice import Choice

from conftest import ADMIN_EMAIL
from sdkcheck import successes, unwrap, value


def params(*pairs):
    """A ParameterMap from (Param, value) pairs."""
    pm = ParameterMap()
    for param, val in pairs:
        pm.add(param, val)
    return pm


def test_token_refresh_and_current_user(sdk):
    users = unwrap(
        UsersOperations().get_users(params((GetUsersParam.type, "CurrentUser"))), UsersWrapper
    ).get_users()
    assert [u.get_email() for u in users] == [ADMIN_EMAIL]
    assert users[0].get_profile().get_name() == "Administrator"
    assert users[0].get_role().get_name() == "CEO"
    # The SDK refreshed the grant at the sandbox's Accounts endpoint and kept the token.
    assert sdk.get_access_token()
    assert int(sdk.get_expires_in()) > 0


def test_users_list_get_and_count():
    ops = UsersOperations()
    listed = unwrap(
        ops.get_users(params((GetUsersParam.type, "AllUsers"), (GetUsersParam.per_page, 200))),
        UsersWrapper,
    )
    emails = {u.get_email(): u for u in listed.get_users()}
    assert {"admin@acme.com", "sam@acme.com", "rita@acme.com", "lee@acme.com"} <= set(emails)
    assert listed.get_info().get_count() == len(emails)
    assert listed.get_info().get_more_records() is False
    sam = emails["sam@acme.com"]
    one = unwrap(ops.get_user(sam.get_id()), UsersWrapper).get_users()
    assert [(u.get_id(), u.get_first_name(), u.get_last_name()) for u in one] == [
        (sam.get_id(), "Sam", "Seller")
    ]
    count = unwrap(ops.users_count(params((UsersCountParam.type, "AllUsers"))), UsersCount)
    assert count.get_count() == len(emails)


def test_update_user_role_by_numeric_id():
    """The SDK sends the role's id as a JSON number."""
    ops = UsersOperations()
    listed = unwrap(ops.get_users(params((GetUsersParam.type, "AllUsers"))), UsersWrapper)
    rita = next(u for u in listed.get_users() if u.get_email() == "rita@acme.com")
    roles = {r.get_name(): r for r in unwrap(RolesOperations().get_roles(), RolesWrapper).get_roles()}
    role = zu.Role()
    role.set_id(roles["Manager"].get_id())
    change = zu.Users()
    change.set_role(role)
    body = zu.BodyWrapper()
    body.set_users([change])
    answer = unwrap(ops.update_user(rita.get_id(), body), zu.ActionWrapper)
    successes(answer.get_users(), zu.SuccessResponse, 1)
    again = unwrap(ops.get_user(rita.get_id()), UsersWrapper).get_users()[0]
    assert again.get_role().get_name() == "Manager"


def test_roles():
    ops = RolesOperations()
    roles = {r.get_name(): r for r in unwrap(ops.get_roles(), RolesWrapper).get_roles()}
    assert {"CEO", "Manager", "Sales Rep"} <= set(roles)
    manager = unwrap(ops.get_role(roles["Manager"].get_id()), RolesWrapper).get_roles()[0]
    assert manager.get_name() == "Manager"
    assert manager.get_reporting_to().get_name() == "CEO"


def test_profiles():
    ops = ProfilesOperations()
    profiles = {p.get_name(): p for p in unwrap(ops.get_profiles(), ProfilesWrapper).get_profiles()}
    assert {"Administrator", "Standard", "Sales"} <= set(profiles)
    sales = unwrap(ops.get_profile(profiles["Sales"].get_id()), ProfilesWrapper).get_profiles()[0]
    assert sales.get_name() == "Sales"
    assert sales.get_custom() is True
    details = sales.get_permissions_details()
    assert details, "a single profile carries its permissions"
    # Switch one permission off by its id, which the SDK sends as a JSON number.
    target = next(d for d in details if d.get_name() == "Crm_Implied_Create_Contacts")
    assert target.get_enabled() is True
    change = zp.PermissionDetail()
    change.set_id(target.get_id())
    change.set_enabled(False)
    profile = zp.Profile()
    profile.set_permissions_details([change])
    body = zp.BodyWrapper()
    body.set_profiles([profile])
    answer = unwrap(ops.update_profile(sales.get_id(), body), zp.ActionWrapper)
    successes(answer.get_profiles(), zp.SuccessResponse, 1)
    again = unwrap(ops.get_profile(sales.get_id()), ProfilesWrapper).get_profiles()[0]
    flags = {d.get_name(): d.get_enabled() for d in again.get_permissions_details()}
    assert flags["Crm_Implied_Create_Contacts"] is False


def test_modules():
    ops = ModulesOperations()
    modules = {m.get_api_name(): m for m in unwrap(ops.get_modules(), ModulesWrapper).get_modules()}
    assert {"Leads", "Contacts", "Accounts", "Deals"} <= set(modules)
    contacts = unwrap(ops.get_module_by_api_name("Contacts"), ModulesWrapper).get_modules()[0]
    assert contacts.get_api_name() == "Contacts"
    assert contacts.get_singular_label() == "Contact"
    assert contacts.get_api_supported() is True


def test_fields():
    ops = FieldsOperations()
    fields = unwrap(ops.get_fields(params((GetFieldsParam.module, "Contacts"))), FieldsWrapper)
    by_name = {f.get_api_name(): f for f in fields.get_fields()}
    assert value(by_name["Email"].get_data_type()) == "email"
    assert by_name["External_Ref"].get_custom_field() is True
    one = unwrap(
        ops.get_field(by_name["Last_Name"].get_id(), params((GetFieldParam.module, "Contacts"))),
        FieldsWrapper,
    ).get_fields()[0]
    assert one.get_api_name() == "Last_Name"
    assert one.get_system_mandatory() is True


def test_layouts():
    ops = LayoutsOperations()
    layouts = unwrap(
        ops.get_layouts(params((GetLayoutsParam.module, "Contacts"))), LayoutsWrapper
    ).get_layouts()
    assert layouts, "every module has a standard layout"
    standard = layouts[0]
    assert standard.get_name() == "Standard"
    section_fields = {
        f.get_api_name() for s in standard.get_sections() for f in (s.get_fields() or [])
    }
    assert {"Last_Name", "Email", "External_Ref"} <= section_fields
    one = unwrap(
        ops.get_layout(standard.get_id(), params((GetLayoutParam.module, "Contacts"))),
        LayoutsWrapper,
    ).get_layouts()[0]
    assert one.get_id() == standard.get_id()


def test_related_lists():
    ops = RelatedListsOperations()
    lists = unwrap(
        ops.get_related_lists(params((GetRelatedListsParam.module, "Accounts"))), RelatedWrapper
    ).get_related_lists()
    by_name = {r.get_api_name(): r for r in lists}
    assert "Contacts" in by_name
    one = unwrap(
        ops.get_related_list(
            by_name["Contacts"].get_id(), params((GetRelatedListParam.module, "Accounts"))
        ),
        RelatedWrapper,
    ).get_related_lists()[0]
    assert one.get_api_name() == "Contacts"


def test_variables_crud():
    ops = zv.VariablesOperations()
    listed = unwrap(ops.get_variables(), zv.ResponseWrapper).get_variables()
    support = next(v for v in listed if v.get_api_name() == "support_email")
    assert support.get_value() == "support@acme.com"
    group = support.get_variable_group()

    new = zv.Variable()
    new.set_name("Max Discount")
    new.set_api_name("max_discount")
    new.set_type(Choice("integer"))
    new.set_value(15)
    if group is not None:
        g = zv.VariableGroup()
        g.set_id(group.get_id())
        new.set_variable_group(g)
    body = zv.BodyWrapper()
    body.set_variables([new])
    created = successes(
        unwrap(ops.create_variables(body), zv.ActionWrapper, (201,)).get_variables(),
        zv.SuccessResponse,
        1,
    )
    new_id = int(created[0]["id"])

    change = zv.Variable()
    change.set_value(20)
    body = zv.BodyWrapper()
    body.set_variables([change])
    successes(
        # variables.json documents 201 for updates and deletes.
        unwrap(ops.update_variable_by_id(new_id, body), zv.ActionWrapper, (200, 201)).get_variables(),
        zv.SuccessResponse,
        1,
    )
    got = unwrap(ops.get_variable_by_id(new_id), zv.ResponseWrapper).get_variables()[0]
    assert str(got.get_value()) == "20"
    by_name = unwrap(ops.get_variable_by_apiname("max_discount"), zv.ResponseWrapper)
    assert by_name.get_variables()[0].get_id() == got.get_id()

    successes(
        unwrap(ops.delete_variable(new_id), zv.ActionWrapper, (200, 201)).get_variables(),
        zv.SuccessResponse,
        1,
    )


def test_org():
    org = unwrap(OrgOperations().get_organization(), OrgWrapper).get_org()[0]
    assert org.get_company_name() == "Acme Corp"
    assert org.get_primary_email() == ADMIN_EMAIL
    assert org.get_time_zone() == "Europe/London"
    assert org.get_license_details() is not None
