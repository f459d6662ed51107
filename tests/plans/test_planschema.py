"""The plan file's JSON Schema: published, in step with the importer, each problem named by path."""

import ast
import copy
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.plans.models import Plan
from app.plans.planfile import PlanFileError, parse_plan_file
from app.plans.planschema import plan_schema, schema_json
from tests.conftest import DATA, post_form
from tests.plans.test_plan_pages import count, worker_client

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((Path(DATA) / "plan-example.json").read_text(encoding="utf-8"))
PLAN_FILES = [Path(DATA) / "plan-example.json", ROOT / "app" / "demo" / "data" / "plan.json"]


def problems_of(raw) -> list[str]:
    """The problems parse_plan_file lists for `raw` ([] when it imports)."""
    try:
        parse_plan_file(json.dumps(raw, ensure_ascii=False).encode())
    except PlanFileError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_docs_schema_is_the_one_the_importer_uses():
    """docs/plan.schema.json is `flask plan schema` output: regenerate it when this fails."""
    assert (ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8") == schema_json()
    Draft202012Validator.check_schema(plan_schema())


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_every_plan_file_in_the_repository_is_valid(path):
    errors = list(Draft202012Validator(plan_schema()).iter_errors(json.loads(path.read_text())))
    assert errors == []


def _schema_fields(schema: dict) -> set[str]:
    """Every property name anywhere in the schema."""
    names = set(schema.get("properties", {}))
    for value in schema.values():
        if isinstance(value, dict):
            names |= _schema_fields(value)
    for sub in schema.get("properties", {}).values():
        names |= _schema_fields(sub)
    return names


def test_every_field_the_importer_reads_is_in_the_schema():
    """The readers in planfile.py and the schema cannot drift apart: a field read but not
    declared would be refused as unknown; a field declared but never read would be ignored."""
    source = ast.parse((ROOT / "app" / "plans" / "planfile.py").read_text())
    read = set()
    for node in ast.walk(source):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            position = {"get": 0, "_text": 1, "_choice": 1}.get(name)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                read.add(arg.value)
    read |= {"proposals", "drafting", "voting", "opens", "closes", "custom"}  # via loops
    declared = _schema_fields(plan_schema()) - {"$schema"}
    assert read - declared == set()
    # Every declared field is read, except the custom rule's (parse_rule takes them whole) and
    # the scope's and funding's (read by iterating over them).
    unread = declared - read
    assert unread <= {
        "quorum", "approval", "strict", "base", "dimensions", "buildings", "units",
        "government", "utility", "maintenance_fund", "public_income", "other",
    }  # fmt: skip


def test_the_example_imports(app):
    with app.test_request_context():
        assert problems_of(EXAMPLE) == []


@pytest.mark.parametrize(
    ("rename", "path", "suggestion"),
    [
        (("scope", "scopes"), "items[2].scopes", "scope"),
        (("rule", "rulez"), "items[2].rulez", "rule"),
    ],
)
def test_a_misspelt_field_is_refused_with_its_path_and_the_nearest_field(
    app, rename, path, suggestion
):
    raw = copy.deepcopy(EXAMPLE)
    item = raw["items"][2]  # B1, the elevator for the 12 households of 3号楼2单元
    item[rename[1]] = item.pop(rename[0])
    with app.test_request_context():
        problems = problems_of(raw)
    assert any(path in p and f"“{suggestion}”" in p for p in problems), problems


def test_unknown_fields_are_refused_at_every_level(app):
    raw = copy.deepcopy(EXAMPLE)
    raw["kind"] = "x"
    raw["phases"]["votng"] = {}
    raw["phases"]["voting"]["closes_on"] = "2026-04-30"
    raw["policies"]["double_entry"] = True
    raw["items"][0]["optionz"] = []
    raw["items"][0]["funding"]["goverment"] = 1
    raw["items"][1]["scope"]["unit"] = []
    raw["items"][4]["custom"]["quorom"] = "1/2"
    with app.test_request_context():
        text = "\n".join(problems_of(raw))
    for path in (
        "kind",
        "phases.votng",
        "phases.voting.closes_on",
        "policies.double_entry",
        "items[0].optionz",
        "items[0].funding.goverment",
        "items[1].scope.unit",
        "items[4].custom.quorom",
    ):
        assert path in text, path
    assert "“government”" in text and "“units”" in text and "“quorum”" in text


def test_wrong_values_are_named_by_path_in_english_too(app):
    from flask_babel import force_locale

    raw = copy.deepcopy(EXAMPLE)
    raw["policies"]["paper_double_entry"] = "no"  # was read as true before the schema
    raw["items"][0]["category"] = "luxury"
    with app.test_request_context(), force_locale("en"):
        problems = problems_of(raw)
    text = "\n".join(problems)
    assert "policies.paper_double_entry" in text and "items[0].category" in text
    assert "luxury" in text
    assert not any("应为" in p for p in problems)


def test_upload_page_lists_the_same_problems_and_writes_nothing(app, factory):
    client, cid = worker_client(app, factory)
    raw = copy.deepcopy(EXAMPLE)
    raw["items"][2]["scopes"] = raw["items"][2].pop("scope")
    response = post_form(
        client,
        f"/c/{cid}/plans/import",
        {"file": (io.BytesIO(json.dumps(raw).encode()), "plan.json")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "items[2].scopes" in html and "scope" in html
    assert count(app, Plan) == 0


def test_cli_import_refuses_a_misspelt_scope_and_writes_nothing(app, factory, tmp_path):
    worker_client(app, factory)
    raw = copy.deepcopy(EXAMPLE)
    raw["items"][2]["scopes"] = raw["items"][2].pop("scope")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["plan", "import", os.fspath(path)])
    assert result.exit_code == 1
    assert "items[2].scopes" in result.output
    assert count(app, Plan) == 0


def _objects(node, path=()):
    """(path, object) for every JSON object in the file."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _objects(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, (*path, index))


def _text_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


OBJECTS = [p for p, _ in _objects(EXAMPLE)]
# Objects whose keys are data, not fields (a floor table's floors): renamed or added keys there
# are other floors, a change of value the schema checks only for form.
FIELD_OBJECTS = [p for p in OBJECTS if "floor_coefficients" not in p]


def _at(raw, path):
    for part in path:
        raw = raw[part]
    return raw


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    where=st.sampled_from(OBJECTS),
    mutation=st.sampled_from(["rename", "add", "remove", "retype"]),
    pick=st.integers(min_value=0, max_value=50),
    value=st.sampled_from([123, -1, "text", "", [], {}, True, None, 1.5]),
    suffix=st.sampled_from(["s", "z", "_x", "2"]),
)
def test_a_mutated_plan_file_is_refused_by_path_or_imports_unchanged(
    app, where, mutation, pick, value, suffix
):
    """Renamed, added or removed fields and wrong types: each is refused with a message naming
    where it is, or the file still imports to the same plan (never a silent change)."""
    assume(mutation in ("retype", "remove") or where in FIELD_OBJECTS)
    raw = copy.deepcopy(EXAMPLE)
    target = _at(raw, where)
    keys = list(target)
    assume(keys or mutation == "add")
    key = keys[pick % len(keys)] if keys else None
    if mutation == "rename":
        new = key + suffix
        assume(new not in target)
        target[new] = target.pop(key)
        named = _text_path((*where, new))
    elif mutation == "add":
        new = f"extra{suffix}"
        target[new] = value
        named = _text_path((*where, new))
    elif mutation == "remove":
        del target[key]
        named = _text_path(where) or "(file)"
    else:
        assume(target[key] != value and type(target[key]) is not type(value))
        target[key] = value
        named = _text_path((*where, key))
    if mutation == "retype":
        # A wrong type is one the schema refuses; another value of an allowed type is a change
        # of value, not of type.
        assume(list(Draft202012Validator(plan_schema()).iter_errors(raw)))
    with app.test_request_context():
        problems = problems_of(raw)
        if problems:
            assert any(named in p or (mutation == "remove" and key in p) for p in problems), (
                named,
                problems,
            )
        else:
            # Accepted: only a change the schema allows (an optional field dropped, a null date)
            schema_errors = list(Draft202012Validator(plan_schema()).iter_errors(raw))
            assert schema_errors == []
            # Only an optional field, dropped: the plan then takes its documented default.
            assert mutation == "remove"
            assert key not in _required_at(where), key
            assert parse_plan_file(json.dumps(raw).encode()).items is not None


def _required_at(path) -> set[str]:
    """The required fields of the schema at this JSON location."""
    schema = plan_schema()
    for part in path:
        if isinstance(part, int):
            schema = schema.get("items", {})
        else:
            props = schema.get("properties", {})
            schema = props.get(part, schema.get("additionalProperties") or {})
    return set(schema.get("required", []))


def _bound(field, kind):
    """The Length max or NumberRange min/max a WTForms field class declares."""
    from wtforms.validators import Length, NumberRange

    for validator in field.kwargs.get("validators", []):
        if kind == "maxLength" and isinstance(validator, Length):
            return validator.max
        if kind in ("minimum", "maximum") and isinstance(validator, NumberRange):
            return validator.min if kind == "minimum" else validator.max
    return None


def test_the_editing_forms_allow_what_the_schema_allows():
    """The plan and item forms refuse the same lengths, ranges and choices as the plan file."""
    from app.funding.forms import FundingForm
    from app.plans.forms import ItemForm, PlanForm

    schema = plan_schema()
    plan, phases = schema["properties"], schema["properties"]["phases"]["properties"]
    policies = schema["properties"]["policies"]["properties"]
    item = schema["properties"]["items"]["items"]["properties"]
    assert _bound(PlanForm.title, "maxLength") == plan["title"]["maxLength"]
    assert _bound(PlanForm.description, "maxLength") == plan["description"]["maxLength"]
    for kind in ("minimum", "maximum"):
        assert _bound(PlanForm.objection_days, kind) == phases["objection_days"][kind]
    for name in ("key", "title", "summary", "description"):
        assert _bound(getattr(ItemForm, name), "maxLength") == item[name]["maxLength"], name
    for form, name, allowed in (
        (PlanForm, "conflict_policy", policies["conflict_policy"]["enum"]),
        (PlanForm, "non_voter_policy", policies["non_voter_policy"]["enum"]),
        (ItemForm, "category", item["category"]["enum"]),
        (ItemForm, "rule", item["rule"]["enum"]),
        (ItemForm, "custom_base", item["custom"]["properties"]["base"]["enum"]),
        (ItemForm, "custom_dimensions", item["custom"]["properties"]["dimensions"]["enum"]),
        (FundingForm, "share_method", item["share_method"]["enum"]),
    ):
        choices = getattr(form, name).kwargs["choices"]
        assert sorted(value for value, _label in choices) == sorted(allowed), name
    funding_sources = {n[len("amount_") :] for n in dir(FundingForm) if n.startswith("amount_")}
    assert funding_sources == set(item["funding"]["properties"])
