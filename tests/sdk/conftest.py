"""Points Zoho's official Python SDK (zohocrmsdk8-0) at a running sandbox.

The sandbox's CRM twin was built from Zoho's documentation; driving it with Zoho's own
client catches the misunderstandings projectlink's client shares with it. `tests/sdk/run`
starts the sandbox and passes its base URL in SANDBOX_URL.
"""

import os
import tempfile

import pytest

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

# The demo org's grant (tests/sdk/seed.yaml); sandbox-only credentials.
CLIENT_ID = "1000.ACMEDEMOCLIENT"
CLIENT_SECRET = "acme-demo-secret"
REFRESH_TOKEN = "1000.acme-admin.refresh"
ADMIN_EMAIL = "admin@acme.com"


class SandboxDataCenter(DataCenter):
    """A data centre whose API and Accounts hosts are the sandbox.

    The SDK maps a token's `api_domain` back to a known data centre; the sandbox's base URL
    is none of them, so the SDK keeps this environment for every call.
    """

    def __init__(self, base):
        self.base = base

    def get_iam_url(self):
        return self.base + "/oauth/v2/token"

    def get_file_upload_url(self):
        return self.base

    def environment(self):
        return DataCenter.Environment(self.base, self.get_iam_url(), self.get_file_upload_url())


@pytest.fixture(scope="session", autouse=True)
def sdk():
    base = os.environ.get("SANDBOX_URL")
    if not base:
        pytest.fail("SANDBOX_URL is not set; run the suite with tests/sdk/run")
    work = tempfile.mkdtemp(prefix="projectlink-sdk-")
    token = OAuthToken(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN
    )
    Initializer.initialize(
        environment=SandboxDataCenter(base.rstrip("/")).environment(),
        token=token,
        store=FileStore(os.path.join(work, "tokens.csv")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=True),
        resource_path=work,
    )
    return token
