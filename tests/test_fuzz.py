"""Schema-driven fuzzing: generated requests for every operation of the served OpenAPI.

A real server (uvicorn on a loopback port, in a thread of this process) serves the app
against a database of this module's own, copied from the test world's template and seeded
with needs, offers and matches. Schemathesis loads ``/schema/openapi.json`` from it; for
every operation, caller (staff, state, donor, anonymous) and generation mode (``positive``:
data that fits the schema; ``negative``: data that breaks it: wrong types, out-of-range
values, missing or malformed bodies), Hypothesis sends generated requests. Each response
must be below 500, each 4xx an RFC 9457 ``application/problem+json`` with ``status``,
``title`` and ``detail``, every status, media type and body as the document describes
them, and the server must log no unhandled error.

Generation is deterministic (a fixed seed per test) and keeps no example database on disk.
``MATCHMAKER_FUZZ_EXAMPLES`` (default 6) sets the examples per operation, caller and mode:
raise it for a deeper run; ``MATCHMAKER_FUZZ_SEED`` (default 0) varies the data. A failure shows the request (and a curl command) and the
traceback the server logged for it.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import pytest_asyncio
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.response import Stream
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from matchmaker.accounts.tokens import PUBLIC_PATHS, TokenIssuer, build_jwt_auth
from matchmaker.app import create_app
from matchmaker.schemas import encode_cursor
from matchmaker.settings import Settings
from matchmaker.vocabulary import ResourceType, countries, currencies_with_rates
from tests.databases import template_copy
from tests.factories import need_body, offer_body

SCHEMA_PATH = "/schema/openapi.json"
PROBLEM_JSON = "application/problem+json"
SECRET_KEY = "fuzz-secret-key-0123456789abcdef"
# Callers, each a user of the test world (drawn per example when there are several); staff
# differ only where an operation is for admins alone.
CALLERS = {"staff": ("admin", "coordinator"), "state": ("state",), "donor": ("donor",), "anonymous": (None,)}
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Generated requests per operation, caller and mode.
EXAMPLES = int(os.environ.get("MATCHMAKER_FUZZ_EXAMPLES", "6"))
# An anonymous caller of a protected operation is turned away before anything else runs.
EXAMPLES_ANONYMOUS = max(2, EXAMPLES // 2)
# Public operations have one caller, anonymous: more of those.
EXAMPLES_PUBLIC = 2 * EXAMPLES
# An event stream stays open: it is read this long, and fuzzed less.
STREAM_SECONDS = 0.25
EXAMPLES_STREAM = max(2, EXAMPLES // 2)
REQUEST_TIMEOUT = 30
# Another seed explores other data (each test's seed is derived from its id and this).
SEED = int(os.environ.get("MATCHMAKER_FUZZ_SEED", "0"))


def _describe_app() -> tuple[list[tuple[str, str, str, bool]], set[str]]:
    """``(method, path, operationId, takes_input)`` of every operation the app describes, and the
    operationIds whose response is a stream.

    Read at collection time from the app object itself (no database needed); the served
    document is checked against it by ``test_the_served_schema_lists_every_operation``.
    """
    settings = Settings(database_url="postgresql://unused/unused", data_dir=Path(tempfile.gettempdir()),
                        secret_key=SECRET_KEY, token_minutes=60, pool_size=1)
    app = create_app(settings)
    document = app.openapi_schema.to_schema()
    operations = [
        (method.upper(), path, operation.get("operationId", f"{method} {path}"),
         bool(operation.get("parameters") or operation.get("requestBody")))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]
    streams = {
        handler.operation_id
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if isinstance(annotation := handler.parsed_fn_signature.return_type.annotation, type)
        and issubclass(annotation, Stream)
    }
    return operations, streams


OPERATIONS, STREAMS = _describe_app()


def _is_public(path: str) -> bool:
    return any(re.search(pattern, path) for pattern in PUBLIC_PATHS)


def _cases() -> Iterator[Any]:
    for method, path, operation_id, takes_input in OPERATIONS:
        public = _is_public(path)
        for caller in ("anonymous",) if public else CALLERS:
            if operation_id in STREAMS:
                examples = EXAMPLES_STREAM
            elif public:
                examples = EXAMPLES_PUBLIC
            else:
                examples = EXAMPLES_ANONYMOUS if caller == "anonymous" else EXAMPLES
            # Negative data needs something to break: a parameter or a body.
            for mode in MODES if takes_input else (GenerationMode.POSITIVE,):
                yield pytest.param(method, path, operation_id, caller, mode, examples,
                                   id=f"{operation_id}-{caller}-{mode.value}")


# -- the server ----------------------------------------------------------------------------


class _ServerLog(logging.Handler):
    """The errors logged outside the test's own thread: by the server, with tracebacks."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == threading.main_thread().ident:
            return
        with self._lock:
            if id(record) not in self._seen:  # the same record may reach us from several loggers
                self._seen.add(id(record))
                self.records.append(record)

    def since(self, index: int) -> list[str]:
        with self._lock:
            return [_format(record) for record in self.records[index:]]

    def __len__(self) -> int:
        with self._lock:
            return len(self.records)


def _format(record: logging.LogRecord) -> str:
    text = f"{record.name}: {record.getMessage()}"
    if record.exc_info:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    return text


class Server:
    def __init__(self, base_url: str, settings: Settings, world: dict, log: _ServerLog) -> None:
        self.base_url = base_url
        self.log = log
        self.world = world
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: no proxy from the environment
        self._tokens = TokenIssuer(build_jwt_auth(settings))
        self.ids: dict[str, list[int]] = {"organisations": sorted(world["organisations"].values())}
        self.organisation_of: dict[str | None, int | None] = {}

    def headers(self, role: str | None) -> dict[str, str]:
        if role is None:
            return {}
        token = self._tokens.token(self.world["users"][role], 0)
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, role: str, body: Any) -> dict[str, Any]:
        r = self.session.post(self.base_url + path, json=body, headers=self.headers(role), timeout=REQUEST_TIMEOUT)
        assert r.status_code in (200, 201), f"seeding: POST {path} as {role}: {r.status_code} {r.text}"
        return r.json()


@pytest_asyncio.fixture(scope="module")
async def fuzz_dsn(admin_dsn: str, world: dict) -> AsyncIterator[str]:
    """A database of this module's own, a copy of the test world's template."""
    async with template_copy(admin_dsn, f"mm_fuzz_{os.getpid()}") as dsn:
        yield dsn


@pytest.fixture(scope="module")
def server(fuzz_dsn: str, world: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = Settings(database_url=fuzz_dsn, data_dir=tmp_path_factory.mktemp("fuzz"), secret_key=SECRET_KEY,
                        token_minutes=60, pool_size=4)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), lifespan="on", log_config=None, log_level="warning",
                            access_log=False, timeout_graceful_shutdown=5)
    uv = uvicorn.Server(config)
    log = _ServerLog()
    loggers = [logging.getLogger(name) for name in ("", "matchmaker", "litestar", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(log)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, name="fuzz-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not uv.started:
            assert thread.is_alive(), "the server stopped while starting:\n" + "\n".join(log.since(0))
            assert time.monotonic() < deadline, "the server did not start within 60 s:\n" + "\n".join(log.since(0))
            time.sleep(0.02)
        srv = Server(f"http://127.0.0.1:{sock.getsockname()[1]}", settings, world, log)
        try:
            _seed(srv)
            yield srv
        finally:
            srv.session.close()
    finally:
        uv.should_exit = True
        thread.join(timeout=30 if uv.started else 2)  # a startup that hangs does not see should_exit
        sock.close()
        for logger in loggers:
            logger.removeHandler(log)


def _seed(srv: Server) -> None:
    """Objects for generated requests to aim at: each owner's own and others', matches in
    several states of their workflow."""
    orgs = srv.world["organisations"]
    for role in ("admin", "coordinator", "state", "donor"):
        me = srv.session.get(f"{srv.base_url}/api/v1/me", headers=srv.headers(role), timeout=REQUEST_TIMEOUT)
        assert me.status_code == 200, me.text
        srv.organisation_of[role] = me.json()["organisation_id"]
    n1 = srv.post("/api/v1/needs", "state", need_body(reference="FUZZ-N1"))["id"]
    n2 = srv.post("/api/v1/needs", "coordinator",
                  need_body(reference="FUZZ-N2", country="MEX", organisation_id=orgs["mexico"]))["id"]
    o1 = srv.post("/api/v1/offers", "donor", offer_body(reference="FUZZ-O1"))["id"]
    o2 = srv.post("/api/v1/offers", "coordinator",
                  offer_body(reference="FUZZ-O2", organisation_id=orgs["diaspora"]))["id"]
    srv.ids["needs"], srv.ids["offers"], srv.ids["matches"] = [n1, n2], [o1, o2], []
    # proposed (by the state, who may withdraw it), approved, disbursed
    for proposer, need, offer, steps in (("state", n1, o1, ()), ("coordinator", n1, o2, ("approve",)),
                                         ("coordinator", n2, o1, ("approve", "disburse"))):
        match = srv.post("/api/v1/matches", proposer, {"need_id": need, "offer_id": offer, "amount": 50000,
                                                       "currency": "USD", "resource_type": "financial"})
        for step in steps:
            srv.post(f"/api/v1/matches/{match['id']}/{step}", "coordinator", {"reason": "seeded for fuzzing"})
        srv.ids["matches"].append(match["id"])


@pytest.fixture(scope="module")
def schema(server: Server) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(server.base_url + SCHEMA_PATH, timeout=REQUEST_TIMEOUT,
                                         proxies={"http": None, "https": None})


# -- steering generated data ---------------------------------------------------------------

_COUNTRIES = sorted(countries())
_CURRENCIES = sorted(currencies_with_rates())
_RESOURCE_TYPES = sorted(get_args(ResourceType))
_REGIONS = sorted({row[column] for row in countries().values()
                   for column in ("region", "sub_region", "intermediate_region") if row[column]})
# A path parameter names one of these collections of seeded objects.
_COLLECTIONS = {"organisation_id": "organisations", "need_id": "needs", "offer_id": "offers", "match_id": "matches"}


def _steer(case: schemathesis.Case, data: st.DataObject, server: Server, role: str | None) -> None:
    """Make a generated request plausible: fields that name things (countries, currencies,
    organisations, needs, offers, pages) name things that exist, amounts are decimals, and
    the body has no field the operation does not declare.

    The OpenAPI document is looser than the app (no ``additionalProperties: false``, amounts
    as free strings), and most names it allows do not exist: without this, most "positive"
    writes stop at validation and the code after it is never reached.
    """
    own = server.organisation_of.get(role)
    any_organisation = st.sampled_from(server.ids["organisations"])
    country = st.sampled_from(_COUNTRIES)
    amount = st.one_of(  # mostly in range (0, 1e11], sometimes at or past its ends
        st.integers(1, 10**7),
        st.decimals(min_value=0, max_value=2 * 10**11, allow_nan=False, allow_infinity=False).map(str),
        st.floats(min_value=0, max_value=2e11),
    )
    need_id, offer_id = st.sampled_from(server.ids["needs"]), st.sampled_from(server.ids["offers"])
    body_values = {
        "country": country,
        "origin_country": st.none() | country,
        "countries": st.lists(country, max_size=4),
        "currency": st.sampled_from(_CURRENCIES),
        # States and donors post for their own organisation; staff name one.
        "organisation_id": any_organisation if own is None else st.just(own) | any_organisation,
        "global": st.booleans(),
        "gcm_objectives": st.lists(st.integers(1, 23), min_size=1, max_size=4),
        "sectors": st.lists(st.text(min_size=1, max_size=12), max_size=3),
        "amount": amount,
        "budget": amount,
        "min_amount": st.none() | amount,
        "max_amount": st.none() | amount,
        "need_id": need_id,
        "offer_id": offer_id,
        # What the seeded needs and offers cover, mostly.
        "resource_type": st.just("financial") | st.sampled_from(_RESOURCE_TYPES),
    }
    query_values = {
        "country": country,
        "region": st.sampled_from(_REGIONS),
        "organisation_id": any_organisation,
        "need_id": need_id,
        "offer_id": offer_id,
        "cursor": st.integers(1, 50).map(encode_cursor),
        "after": st.integers(0, 10),
        "max_events": st.integers(1, 3),
    }
    if isinstance(case.body, dict):
        declared = set()
        for body in case.operation.body:
            declared |= set((body.resolved_schema or {}).get("properties", {}))
        for field in sorted(case.body.keys() - declared):
            del case.body[field]
        for field in sorted(body_values.keys() & declared):
            # Optional fields left out (the organisation staff post for, say) are added, sometimes.
            if field in case.body or data.draw(st.booleans(), label=f"add body.{field}"):
                case.body[field] = data.draw(body_values[field], label=f"body.{field}")
    if case.query:
        for field in sorted(query_values.keys() & case.query.keys()):
            case.query[field] = data.draw(query_values[field], label=f"query.{field}")


def _call(case: schemathesis.Case, server: Server, stream: bool) -> schemathesis.Response:
    """Send the request. An event stream is read for ``STREAM_SECONDS`` (the read timeout
    doubles as the time it is read for); if even its headers take longer (a busy server),
    it is sent once more, with longer to answer."""
    if not stream:
        return case.call(base_url=server.base_url, session=server.session, timeout=REQUEST_TIMEOUT)
    try:
        return case.call(base_url=server.base_url, session=server.session, timeout=(REQUEST_TIMEOUT, STREAM_SECONDS))
    except requests.ReadTimeout:
        return case.call(base_url=server.base_url, session=server.session, timeout=(REQUEST_TIMEOUT, 5))


# -- the checks ----------------------------------------------------------------------------


def _request_summary(case: schemathesis.Case, response: schemathesis.Response) -> str:
    request = response.request
    lines = [f"{request.method} {request.url}"]
    if request.headers.get("Content-Type"):
        lines.append(f"Content-Type: {request.headers['Content-Type']}")
    body = request.body
    if isinstance(body, bytes):
        body = body[:2000].decode("utf-8", "replace")
    if body is not None:
        lines.append(f"body: {body}")
    lines.append(f"curl: {case.as_curl_command()}")
    return "\n".join(lines)


def _check(
    case: schemathesis.Case, role: str | None, response: schemathesis.Response, logged: list[str], stream: bool
) -> None:
    status = response.status_code
    text = response.content[:2000].decode("utf-8", "replace")
    if status >= 500 or logged:
        what = f"server error {status}" if status >= 500 else f"status {status}, but the server logged an error"
        pytest.fail(f"{what} as {role or 'anonymous'}\n{_request_summary(case, response)}\nresponse: {text}\n"
                    f"server log:\n" + ("\n".join(logged) or "(nothing)"), pytrace=False)
    if 400 <= status < 500:
        where = f"{status} as {role or 'anonymous'}\n{_request_summary(case, response)}\nresponse: {text}"
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.split(";")[0].strip() == PROBLEM_JSON, f"Content-Type {content_type!r}: {where}"
        problem = response.json()
        assert isinstance(problem, dict), f"the problem is not an object: {where}"
        assert problem.get("status") == status, f"the problem's status is {problem.get('status')!r}: {where}"
        for member in ("title", "detail"):
            assert isinstance(problem.get(member), str) and problem[member], f"the problem has no {member}: {where}"
    if not stream:  # (a stream is cut off, so its body is not whole)
        # The served document tells the truth: the status is one it lists for the operation,
        # with the media type and the body schema it gives.
        case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                                 response_schema_conformance])


# -- the tests -----------------------------------------------------------------------------


def test_the_served_schema_lists_every_operation(schema: schemathesis.BaseSchema) -> None:
    served = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert served == {(method, path) for method, path, *_ in OPERATIONS}


def test_the_document_marks_public_operations_and_keeps_ids_within_json_numbers(schema: schemathesis.BaseSchema) -> None:
    paths = schema.raw_schema["paths"]
    for path in ("/health", "/api/v1/auth/token"):
        assert all(op["security"] == [{}] for op in paths[path].values()), path
    assert paths["/api/v1/needs"]["get"].get("security") is None  # the global bearer requirement
    maxima = [parameter["schema"]["maximum"] for item in paths.values() for op in item.values()
              for parameter in op.get("parameters", ()) if "maximum" in parameter.get("schema", {})]
    assert maxima and max(maxima) <= 2**53 - 1  # what a JavaScript client's numbers hold exactly


@pytest.mark.parametrize(("method", "path", "operation_id", "caller", "mode", "examples"), list(_cases()))
def test_generated_requests_get_no_server_error(
    server: Server, schema: schemathesis.BaseSchema, request: pytest.FixtureRequest,
    method: str, path: str, operation_id: str, caller: str, mode: GenerationMode, examples: int,
) -> None:
    operation = schema[path][method]
    strategies = []
    for role in CALLERS[caller]:
        headers = server.headers(role) or None
        ids = [None]
        # Generated ids mostly do not exist: aim most requests at seeded objects (negative
        # ones only where a body is left to break).
        if mode is GenerationMode.POSITIVE or operation.body:
            for parameter in operation.path_parameters:
                ids += [{parameter.name: i} for i in server.ids.get(_COLLECTIONS.get(parameter.name, ""), [])]
        for path_parameters in ids:
            strategy = operation.as_strategy(generation_mode=mode, headers=headers, path_parameters=path_parameters)
            strategies.append(st.tuples(st.just(role), strategy))
    stream = operation_id in STREAMS

    # A seed of each test's own: ``derandomize`` would give every caller the same data.
    @seed(zlib.crc32(request.node.callspec.id.encode()) + SEED)
    @hypothesis_settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(drawn=st.one_of(strategies), data=st.data())
    def run(drawn: tuple[str | None, schemathesis.Case], data: st.DataObject) -> None:
        role, case = drawn
        # Two positive cases in three are steered towards names that exist (see ``_steer``).
        if mode is GenerationMode.POSITIVE and data.draw(st.sampled_from([True, True, False]), label="steer"):
            _steer(case, data, server, role)
        before = len(server.log)
        response = _call(case, server, stream)
        _check(case, role, response, server.log.since(before), stream)

    run()
