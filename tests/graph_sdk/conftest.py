"""Points Microsoft's official Python SDK (msgraph-sdk) at a running sandbox.

The sandbox's Graph twin was built from Microsoft's documentation; driving it with
Microsoft's own client checks the URL forms, query options and shapes the SDK really uses.
`tests/graph_sdk/run` starts the sandbox and passes its base URL in SANDBOX_URL.

The SDK signs requests through a bearer-token provider. Its Azure Identity credentials only
talk to https authorities, so the app token comes from the sandbox's token endpoint by the
client-credentials grant, as Graph's own is, and a kiota access-token provider hands it to
the SDK; the request adapter's base URL is the sandbox's Graph root.
"""

import asyncio
import json
import os
import urllib.parse
import urllib.request

import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient

# The tenant and app of tests/graph_sdk/seed.yaml; sandbox-only credentials.
TENANT = "7f3c2a10-ace0-4c6e-9d1b-0000000000aa"
CLIENT_ID = "5b7e9c1d-0000-4a2b-8c3d-0000000000aa"
CLIENT_SECRET = "graph-sdk-secret"
USER = "ada@acme.com"
OTHER = "pat@acme.com"


class SandboxToken(AccessTokenProvider):
    """The app token of a client-credentials grant at the sandbox, for every request."""

    def __init__(self, base, host):
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "scope": "https://graph.microsoft.com/.default",
            }
        ).encode()
        url = f"{base}/login/{TENANT}/oauth2/v2.0/token"
        with urllib.request.urlopen(url, data=form, timeout=10) as answer:
            self.token = json.load(answer)["access_token"]
        self.validator = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri, additional_authentication_context={}):
        return self.token

    def get_allowed_hosts_validator(self):
        return self.validator


@pytest.fixture(scope="session")
def base():
    url = os.environ.get("SANDBOX_URL")
    if not url:
        pytest.fail("SANDBOX_URL is not set; run the suite with tests/graph_sdk/run")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def client(base):
    host = urllib.parse.urlparse(base).netloc
    auth = BaseBearerTokenAuthenticationProvider(SandboxToken(base, host))
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{base}/graph/v1.0"
    return GraphServiceClient(request_adapter=adapter)


@pytest.fixture(scope="session")
def run():
    """Runs one SDK coroutine to its end (the suite needs no async test plugin)."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()
