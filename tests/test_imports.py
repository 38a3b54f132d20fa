"""Needs and offers imported from CSV: the create body's rules, row by row, all or nothing."""

import csv
import io
import os
import subprocess
import sys

NEEDS_HEADER = "title,description,country,gcm_objectives,capacity_areas,resource_types,amount,currency,deadline,reference\n"
GOOD_NEED = 'Border data system,"Train officers; install, test",SEN,11;1,border_management,financial;training,250000.50,EUR,2030-06-30,N-1\n'


def _post_csv(api, url, text, as_user="state"):
    return api.post(url, as_user=as_user, content=text.encode(), headers={"Content-Type": "text/csv"})


async def test_a_good_file_creates_every_row_as_the_json_body_would(api):
    text = NEEDS_HEADER + GOOD_NEED + "Gestion des frontières,,SEN,23,,technical_expertise,1000,XOF,,N-2\n"
    r = await _post_csv(api, "/api/v1/needs/import", "\ufeff" + text)  # a spreadsheet's byte-order mark
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 2
    first, second = [(await api.get(f"/api/v1/needs/{i}")).json() for i in r.json()["ids"]]
    assert (first["description"], first["gcm_objectives"], first["resource_types"], first["amount"], first["deadline"]) == (
        "Train officers; install, test", [11, 1], ["financial", "training"], 250000.5, "2030-06-30")
    assert first["organisation_id"] == api.org("senegal")
    assert (second["language"], second["capacity_areas"], second["deadline"]) == ("fr", [], None)


async def test_a_file_with_bad_rows_is_refused_whole_with_each_rule_named_by_line(api, db):
    text = (NEEDS_HEADER + GOOD_NEED
            + "Bad one,,ZZZ,11;11,,financial,12.345,EUR,,N-3\n"      # line 3: three rules broken
            + "x,,SEN,40,,financial,1000,EUR,someday,N-4\n"          # line 4: type errors
            + GOOD_NEED)                                             # line 5: the reference of line 2 again
    r = await _post_csv(api, "/api/v1/needs/import", text)
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == ["line 3: country", "line 3: gcm_objectives[1]", "line 3: amount",
                      "line 4: title", "line 4: gcm_objectives[0]", "line 4: deadline", "line 5: row"]
    assert "N-1" in r.json()["errors"][-1]["message"]
    assert await db.fetchval("select count(*) from needs") == 0
    assert await db.fetchval("select count(*) from audit_log where entity = 'need'") == 0


async def test_columns_are_checked_before_any_row(api):
    r = await _post_csv(api, "/api/v1/needs/import", "title,country,colour\nA need,SEN,blue\n")
    assert r.status_code == 422
    assert {(e["field"], e["message"]) for e in r.json()["errors"]} == {
        ("line 1: colour", "unknown column"), ("line 1: gcm_objectives", "missing column"),
        ("line 1: resource_types", "missing column"), ("line 1: amount", "missing column"),
        ("line 1: currency", "missing column")}
    r = await _post_csv(api, "/api/v1/needs/import", NEEDS_HEADER)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = await api.post("/api/v1/needs/import", as_user="state", content=b"\xff\xfe", headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


async def test_who_may_import_is_who_may_post(api):
    offers = ("title,resource_types,regions,global,budget,currency,min_amount,max_amount\n"
              "Training fund,training,Africa,false,100000,USD,,\nWorld fund,financial,,true,5000000,EUR,1000,50000\n")
    assert (await _post_csv(api, "/api/v1/offers/import", offers, as_user="state")).status_code == 403
    r = await _post_csv(api, "/api/v1/offers/import", offers, as_user="donor")
    assert r.status_code == 201, r.text
    world = (await api.get(f"/api/v1/offers/{r.json()['ids'][1]}")).json()
    assert (world["global"], world["regions"], world["max_amount"]) == (True, [], 50000)
    # A coordinator names the organisation in a column, as in the JSON body.
    r = await _post_csv(api, "/api/v1/needs/import", NEEDS_HEADER + GOOD_NEED, as_user="coordinator")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "line 2: organisation_id"
    body = NEEDS_HEADER.replace("\n", ",organisation_id\n") + GOOD_NEED.replace("\n", f",{api.org('mexico')}\n")
    r = await _post_csv(api, "/api/v1/needs/import", body, as_user="coordinator")
    assert r.status_code == 201 and (await api.get(f"/api/v1/needs/{r.json()['ids'][0]}")).json()["organisation_id"] == api.org("mexico")


async def test_an_exported_list_reads_back_in_its_own_columns(api):
    """The cells an export writes are those an import reads: lists, decimals, dates."""
    await _post_csv(api, "/api/v1/needs/import", NEEDS_HEADER + GOOD_NEED)
    exported = list(csv.DictReader(io.StringIO((await api.get("/api/v1/needs?format=csv")).text)))
    columns = NEEDS_HEADER.strip().split(",")
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**row, "reference": "N-copy"} for row in exported)
    r = await _post_csv(api, "/api/v1/needs/import", out.getvalue(), as_user="state")
    assert r.status_code == 201, r.text
    copy = (await api.get(f"/api/v1/needs/{r.json()['ids'][0]}")).json()
    original = (await api.get(f"/api/v1/needs/{exported[0]['id']}")).json()
    assert {k: copy[k] for k in columns if k != "reference"} == {k: original[k] for k in columns if k != "reference"}


def _matchmaker(dsn, tmp_path, *args):
    env = {**os.environ, "DATABASE_URL": dsn, "MATCHMAKER_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "matchmaker.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


async def test_the_command_imports_as_an_account_and_refuses_a_bad_file_whole(dsn, db, tmp_path):
    bad = tmp_path / "needs.csv"
    bad.write_text(NEEDS_HEADER + GOOD_NEED + "Bad one,,ZZZ,11,,financial,100,EUR,,N-3\n")
    r = _matchmaker(dsn, tmp_path, "import", "needs", str(bad), "--as", "state@test.example")
    assert r.returncode != 0
    assert "nothing was imported" in r.stderr and "line 3: country: unknown country code 'ZZZ'" in r.stderr
    assert await db.fetchval("select count(*) from needs") == 0
    bad.write_text(NEEDS_HEADER + GOOD_NEED)
    r = _matchmaker(dsn, tmp_path, "import", "needs", str(bad), "--as", "STATE@test.example")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 1 needs: ids ")
    assert await db.fetchval("select count(*) from needs where reference = 'N-1'") == 1
    r = _matchmaker(dsn, tmp_path, "import", "needs", str(bad), "--as", "nobody@test.example")
    assert r.returncode != 0 and "no account" in r.stderr
