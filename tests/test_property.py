"""Whatever bytes or YAML a partner file holds, nurturekit answers with diagnostics, never a traceback."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_workspace, nk

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["2026-01-05", "2026-13-45", "J.M.", "dr-b", "check-in"]))
keys = st.sampled_from(["name", "kind", "met", "restart", "history", "referrals", "client", "received", "date",
                        "play", "npi", "tier", "status", "shared_clients", "updates", "gifts", "value", "with",
                        "outcome", "bounced_to", "replied", "x"])
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                      max_leaves=20)


def _run(ws):
    r = nk("--now", "2026-06-01", "check", "--format", "json", cwd=ws)
    assert r.code in (0, 1, 2), r.err
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    out = json.loads(r.out)
    if r.code == 2:
        assert out["errors"], "exit 2 always comes with an error"
        for e in out["errors"]:
            assert e["line"] >= 1 and e["col"] >= 1 and e["code"].startswith("NK")


@SETTINGS
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path_factory, data):
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {})
    (ws / "partners" / "dr-a.md").write_bytes(b"---\n" + data + b"\n---\n")
    _run(ws)


@SETTINGS
@given(tree=st.dictionaries(keys, values, max_size=8))
def test_arbitrary_yaml(tmp_path_factory, tree):
    import yaml
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"dr-b": "name: B\nkind: pcp\n"})
    (ws / "partners" / "dr-a.md").write_text("---\n" + yaml.safe_dump(tree, allow_unicode=True) + "---\n")
    _run(ws)


@SETTINGS
@given(tree=st.dictionaries(st.sampled_from(["practice", "rotation", "plays", "calendar", "loops", "thank_you",
                                             "targets", "warnings", "strategies", "compliance"]), values, max_size=4))
def test_arbitrary_playbook(tmp_path_factory, tree):
    import yaml
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"dr-b": "name: B\nkind: pcp\nmet: 2026-01-01\n"},
                        playbook=yaml.safe_dump(tree))
    _run(ws)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=400))
def test_ics_lines_fold_at_75_octets_and_unfold_to_the_original(text):
    from nurturekit.outputs import _fold
    line = "DESCRIPTION:" + text
    folded = _fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert folded.replace("\r\n ", "") == line   # RFC 5545 unfolding gives the line back
