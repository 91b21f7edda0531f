"""The CLI's edges: numbers and anchors refused with their decade, every command's text output
free of raw control characters, every command taking --json."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson
import pytest
from click.testing import CliRunner, Result

from storage.terminal import CONTROLS, INVISIBLE
from tests.workflow.helpers import sheet_dxf
from yitaotu.cli import cli

CODE = "2023-110105-04-01-123450"
REPO = Path(__file__).resolve().parents[2]

#: A name or message that would retitle the terminal, forge a line and reverse the text.
H = "\x1b]0;owned\x07\r\nFORGED\u202eevil\x9b31m\x7f"
#: The same in a user name (no whitespace allowed there).
HU = "\x1b]0;owned\x07\u202e\x9b\x7f"
#: What must never reach the terminal raw (TAB separates columns, LF ends lines).
RAW = {chr(c) for c in CONTROLS + INVISIBLE} - {"\t", "\n"}


class Cli:
    def __init__(self, home: Path, user: str = "") -> None:
        self.home = home
        self.env = {"YITAOTU_HOME": str(home), "YITAOTU_USER": user, "YITAOTU_DATABASE_URL": "",
                    "YITAOTU_BLOBS": "", "YITAOTU_KEY_PASSPHRASE": ""}

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env)

    def __call__(self, *args: str, code: int = 0) -> str:
        res = self.run(*args)
        assert res.exit_code == code, f"{args}: {res.exit_code}\n{res.output}"
        assert "Traceback" not in res.output
        return res.output

    def json(self, *args: str) -> object:
        return orjson.loads(self(*args, "--json"))


def leaves(cmd: click.Command, path: tuple[str, ...] = ()):
    """Every runnable command of the tree, by its path of names."""
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from leaves(cmd.get_command(ctx, name), (*path, name))
    else:
        yield path, cmd


# -- input edges -------------------------------------------------------------------------------


@pytest.fixture
def y(tmp_path: Path) -> Cli:
    """A project in review: design firm `des`, reviewer `rev`, one sheet A-101."""
    c = Cli(tmp_path / "home")
    c("init")
    c("project", "create", CODE, "住宅")
    for org, role, user in (("甲设计院", "design", "des"), ("乙审查中心", "review", "rev")):
        c("org", "add", org)
        c("party", "add", CODE, role, org)
        c("user", "add", user, "--org", org)
    d = tmp_path / "r1"
    d.mkdir()
    (d / "A-101 平面.dxf").write_bytes(sheet_dxf("A-101", "平面"))
    c("ingest", CODE, str(d), "-m", "r1")
    return c


def test_numbers_and_anchors_are_refused_with_their_decade(y: Cli) -> None:
    op = ("opinion", "add", CODE, "A-101", "意见", "--as", "rev")
    assert "no submission in review" in y(*op, "--point", "1,2", code=22)  # not yet: 22
    y("submit", CODE, "head", "--as", "des")
    y("review", "accept", CODE, "--as", "rev")
    for anchor, message in [(("--point", "nan,nan"), "finite"),
                            (("--rect", "0,0,inf,inf"), "finite"),
                            (("--point", "1;2"), "expected X,Y"), (("--point", "1 2"), "X,Y"),
                            (("--point", "1,2,3"), "X,Y"), (("--rect", "0,0,0,5"), "area"),
                            (("--polygon", "0,0;1,0;"), "X,Y;X,Y"),
                            (("--polygon", "0,0;1,1;2,2"), "no area")]:
        out = y(*op, *anchor, code=20)
        assert out.startswith("error: ") and message in out and out.count("\n") == 1, out
    assert "c999999" in y(*op, "--point", "1,2", "--change", "c999999", code=20)
    y(*op, "--point", "1,2")
    big = "99999999999999999999999"
    assert "out of range" in y("opinion", "reply", CODE, big, "好", "--as", "des", code=20)
    y("opinion", "reply", CODE, "2147483648", "好", "--as", "des", code=20)
    y("opinion", "close", CODE, "1", "--if-lock", big, "--as", "rev", code=20)
    y("opinion", "reply", CODE, "abc", "好", "--as", "des", code=20)
    assert "unknown role 'foo'" in y("party", "add", CODE, "foo", "甲设计院", code=20)
    y("unit", "add", CODE, "--division", "110101", "--floors-above", big, code=20)
    y("unit", "add", CODE, "--division", "110101", "--year", big, code=20)
    assert "finite" in y("unit", "add", CODE, "--division", "110101", "--height", "nan", code=20)
    # nothing of that was stored: the loop goes on
    assert [o["number"] for o in y.json("opinion", "list", CODE)] == [1]  # type: ignore
    y("review", "return", CODE, "--as", "rev")
    y("opinion", "reply", CODE, "1", "已改", "--as", "des")


def test_workflow_graph_json_is_the_table() -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["workflow", "graph", "--json"])
    assert as_json.exit_code == 0
    assert as_json.output == runner.invoke(cli, ["workflow", "graph", "--format", "json"]).output
    assert "submit" in [row["event"] for row in orjson.loads(as_json.output)]


def test_every_command_takes_json() -> None:
    paths = []
    for path, cmd in leaves(cli):
        paths.append(path)
        opts = [p for p in cmd.params if isinstance(p, click.Option) and "--json" in p.opts]
        assert opts and opts[0].is_flag, f"yitaotu {' '.join(path)} has no --json"
    assert ("workflow", "graph") in paths and len(paths) > 40


def test_usage_and_internal_errors_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    for args in (["ls", f"--{HU}"], [HU], ["opinion", HU]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 2 and not RAW & set(res.output), (args, res.output)
        assert "\\x1b]0;owned\\x07" in res.output

    from workflow import machine

    def broken() -> None:
        raise RuntimeError(f"bug {H}")

    monkeypatch.setattr(machine, "describe", broken)
    res = runner.invoke(cli, ["workflow", "graph", "--json"])
    assert res.exit_code == 70 and res.output.count("\n") == 1, res.output
    assert "internal error: RuntimeError: bug" in res.output and not RAW & set(res.output)


def test_commands_print_only_through_the_shared_output() -> None:
    """New commands escape by default only if they print through yitaotu.commands._common."""
    safe = {"line_text", "json_text", "printable", "printable_json"}
    for path in [*sorted((REPO / "yitaotu" / "commands").glob("*.py")), REPO / "yitaotu/cli.py"]:
        if path.name == "_common.py":
            continue
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name not in ("echo", "print", "secho", "write"):
                    continue
                first = node.args[0] if node.args else None
                wrapped = (isinstance(first, ast.Constant)
                           or isinstance(first, ast.Call) and getattr(first.func, "id", "") in safe
                           or isinstance(first, ast.JoinedStr) and all(
                               isinstance(v, ast.Constant) or getattr(
                                   getattr(v.value, "func", None), "id", "") in safe
                               for v in first.values))
                # diff's _write_out writes what a writer already escaped line by line
                assert wrapped or fn.name == "_write_out", \
                    f"{path.name}:{node.lineno} {fn.name}() prints without escaping"


# -- output safety -----------------------------------------------------------------------------


def _sheets(d: Path, extra: int) -> Path:
    d.mkdir()
    (d / "a.dxf").write_bytes(sheet_dxf("A-101", "平面", extra=extra))
    (d / f"S-201 {H}.dxf").write_bytes(sheet_dxf("S-201", "基础", extra=extra))
    return d


def _hostile_project(tmp: Path) -> tuple[Cli, dict[str, str]]:
    """Every text a user or a file can set holds H: names, sheet numbers and titles, messages,
    reasons, opinions, replies, units, organisations, users, the author of the versions."""
    des, rev, own, sup, con = (f"{n}{HU}" for n in ("des", "rev", "own", "sup", "con"))
    y = Cli(tmp / "home", user=des)
    y("init")
    y("project", "create", CODE, f"住宅{H}", "--location", H, "--site", H, "--party", f"施工={H}")
    for org, role, user in ((f"设计{H}", "design", des), (f"审查{H}", "review", rev),
                            (f"建设{H}", "owner", own), (f"监理{H}", "supervisor", sup),
                            (f"施工{H}", "contractor", con)):
        y("org", "add", org)
        y("party", "add", CODE, role, org)
        y("user", "add", user, "--org", org, "--display-name", H, "--discipline", H)
    units = [orjson.loads(y("unit", "add", CODE, "--division", "110101", "--name", H,
                            "--address", H, "--structure-type", H, "--use", H, "--json"))["code"]
             for _ in range(2)]
    sheet = f"A-101{H}"
    (tmp / "map.json").write_bytes(orjson.dumps({"a.dxf": {"number": sheet, "title": H}}))
    versions = []
    for i, extra in enumerate((0, 3, 4)):
        d = _sheets(tmp / f"r{i}", extra)
        versions.append(orjson.loads(y("ingest", CODE, str(d), "--map", str(tmp / "map.json"),
                                       "-m", H, "--json"))["version"])
        if i == 0:
            y("discipline", "set", CODE, sheet, H)  # the reviewers' discipline is H too
            y("discipline", "set", CODE, "S-201", H)
            y("submit", CODE, "head")
            y("review", "accept", CODE, "--as", rev)
            y("opinion", "add", CODE, sheet, H, "--point", "800,140", "--as", rev)
            y("review", "return", CODE, "--as", rev)
            y("opinion", "reply", CODE, "1", H)
        elif i == 1:
            y("submit", CODE, "head")
            y("review", "accept", CODE, "--as", rev)
            diff = orjson.loads(y("review", "diff", CODE, "--json"))
            change = diff["sheets"][sheet][0]["id"]
            y("review", "mark", CODE, sheet, change, "queried", "--text", H, "--as", rev)
            y("opinion", "close", CODE, "1", H, "--as", rev)
            y("opinion", "close", CODE, "2", H, "--as", rev)
            y("review", "sign", CODE, "--as", rev)
            y("review", "approve", CODE, "--as", rev)
            people = [f"--participant={r}={u}" for r, u in (("owner", own), ("design", des),
                                                            ("contractor", con),
                                                            ("supervisor", sup))]
            y("meeting", "open", CODE, "--date", "2026-12-10", "--location", H, *people,
              "--as", own)
            y("meeting", "question", CODE, sheet, H, "--point", "1,1", "--as", con)
            y("meeting", "answer", CODE, "Q-1", H, "--needs-change")
        else:
            y("change", "propose", CODE, "head", "--reason", H)
    names = {"sheet": sheet, "rev": rev, "own": own, "con": con, "des": des, "sup": sup,
             "v1": versions[0], "v2": versions[1], "unit": units[0], "unit2": units[1],
             "change": change}
    return y, names


def _calls(n: dict[str, str], tmp: Path) -> dict[tuple[str, ...], list[list[str]]]:
    """Arguments for every command (each is run as is and with --json)."""
    P, S, rev, own = CODE, n["sheet"], ["--as", n["rev"]], ["--as", n["own"]]
    con = ["--as", n["con"]]
    people = [f"--participant={r}={n[u]}" for r, u in (("owner", "own"), ("design", "des"),
                                                     ("contractor", "con"),
                                                     ("supervisor", "sup"))]
    now = datetime.now(UTC).isoformat()
    return {
        ("accept",): [[P, *own]], ("archive", "move"): [[P]],
        ("archive", "create"): [[P, "-o", str(tmp / f"{HU}.zip")]],
        ("archive", "verify"): [[str(tmp / "r0")]], ("archive", "list"): [[], [P]],
        ("inspect",): [["--project", P, "--at", now, "-o", str(tmp / "pull.zip"), *rev]],
        ("asbuilt", "confirm"): [[P, *own]], ("asbuilt", "reject"): [[P, "--reason", H, *own]],
        ("asbuilt", "submit"): [[P, "head"]],
        ("audit", "at"): [[P, now]], ("audit", "head"): [[P]], ("audit", "log"): [[P]],
        ("audit", "verify"): [[P]],
        ("change", "confirm"): [[P, *own]], ("change", "list"): [[P]],
        ("check", "run"): [[P, S, *rev]], ("check", "list"): [[P]],
        ("check", "confirm"): [[P, "F-1", *rev]],
        ("check", "discard"): [[P, "F-1", "--note", H, *rev]],
        ("check", "export-bcf"): [[P, str(tmp / "out.bcf")]],
        ("check", "import-bcf"): [[P, str(tmp / "out.bcf"), "--model", S, *rev]],
        ("change", "propose"): [[P, "head", "--reason", H]],
        ("change", "reject"): [[P, "--reason", H, *own]], ("change", "sign"): [[P]],
        ("change", "raise"): [[P, "--kind", "negotiation", "--reason", H, *con]],
        ("change", "answer"): [[P, "C-3", H]], ("change", "withdraw"): [[P, "C-1", "--reason", H]],
        ("change", "rebase"): [[P, "C-2", "head"]], ("change", "show"): [[P, "C-2"]],
        ("discipline", "set"): [[P, S, H]], ("discipline", "list"): [[P]],
        ("submission", "list"): [[P]], ("submission", "withdraw"): [[P, "S-1", "--reason", H]],
        ("meeting", "open"): [[P, "--location", H, *people, *own]],
        ("meeting", "question"): [[P, S, H, "--point", "1,1", "--meeting", "M-2", *con]],
        ("meeting", "answer"): [[P, "Q-1", H]], ("meeting", "close"): [[P, "M-1", *own]],
        ("meeting", "sign"): [[P, "M-1", *own]], ("meeting", "list"): [[P]],
        ("meeting", "minutes"): [[P, "M-1", "-o", str(tmp / "minutes.pdf")]],
        ("diff",): [[P, n["v1"], n["v2"]], [f"{P}:{n['v1']}:{S}", f"{P}:{n['v2']}:{S}"]],
        ("export",): [[f"{P}:head", str(tmp / "out")]],
        ("fsck",): [[]], ("gc",): [["--dry-run"]],
        ("inbox",): [[], rev],
        ("ingest",): [[P, str(tmp / "r2"), "--map", str(tmp / "map.json"), "-m", H]],
        ("init",): [[]],
        ("log",): [[P], [P, "--reflog"]], ("ls",): [[f"{P}:head"]],
        ("opinion", "add"): [[P, S, H, "--point", "1,1", *rev]],
        ("opinion", "close"): [[P, "1", H, *rev]], ("opinion", "list"): [[P]],
        ("opinion", "reopen"): [[P, "1", H, *rev]], ("opinion", "reply"): [[P, "1", H]],
        ("org", "add"): [[f"新{H}"]], ("org", "list"): [[]],
        ("org", "jurisdiction"): [[f"设计{H}", "110000"], [f"设计{H}", H]],
        ("party", "add"): [[P, "施工", f"设计{H}"]],
        ("project", "create"): [["2023-110105-04-01-123451", H]],
        ("project", "list"): [[]], ("project", "show"): [[P]],
        ("render",): [[f"{P}:head:{S}", "-o", str(tmp / f"{HU}.png")]],
        ("review", "accept"): [[P, *rev]], ("review", "approve"): [[P, *rev]],
        ("review", "sign"): [[P, *rev]],
        ("review", "diff"): [[P]], ("review", "mark"): [[P, S, n["change"], "accepted", *rev]],
        ("review", "return"): [[P, *rev]],
        ("show",): [[f"{P}:head"], [P, "--at", now]], ("status",): [[P], [P, *rev]],
        ("submit",): [[P, "head"]],
        ("unit", "add"): [[P, "--division", "110101", "--name", H]],
        ("unit", "delete"): [[n["unit2"]]], ("unit", "list"): [[P]],
        ("unit", "show"): [[n["unit"]]],
        ("unit", "footprint"): [[n["unit"], "--from", f"{P}:head:{S}"]],
        ("user", "add"): [[f"new{HU}", "--org", f"设计{H}", "--discipline", H]],
        ("user", "list"): [[]], ("user", "passwd"): [[f"x{HU}"], [n["des"]]],
        # the web's: refused before serving (a port out of range, no Redis, a home in use)
        ("demo",): [[]], ("serve",): [["--port", "0"]], ("worker",): [["--burst"]],
        ("verify",): [[P], [P, "--deep"]], ("workflow", "graph"): [[], ["--format", "dot"]],
        # units on the map and the exchange (#14)
        ("geo", "site"): [[P, _SITE]], ("geo", "footprint"): [[n["unit"], _UNIT]],
        ("geo", "check"): [[P]], ("geo", "fits"): [[P]],
        ("geo", "export"): [[P], [P, "-o", str(tmp / "map.geojson")]],
        ("geo", "import"): [[P, str(tmp / "map.geojson")]],
        ("geo", "query"): [["--point", "116.4005,39.9005"], ["--polygon", _SITE]],
        ("geo", "place"): [[P, S, "--point", "0,0=116.4,39.9", "--point", "100,0=116.401,39.9",
                            "--layer", H]],
        ("geo", "moved"): [[P, S]],
        ("exchange", "export"): [[P, "--issuer", f"审查{H}"],
                                 [P, "--issuer", f"审查{H}", "-o", str(tmp / "ex.json")]],
        ("exchange", "import"): [[str(tmp / "ex.json")]],
        ("exchange", "key"): [[f"审查{H}"]], ("exchange", "trust"): [[_key_file(tmp)]],
        ("exchange", "push"): [["--endpoint", "http://127.0.0.1:9/records", "--timeout", "1"]],
        ("exchange", "status"): [[]],
    }


_SITE = "POLYGON((116.4 39.9, 116.402 39.9, 116.402 39.902, 116.4 39.902, 116.4 39.9))"
_UNIT = "POLYGON((116.4002 39.9002, 116.4008 39.9002, 116.4008 39.9008, 116.4002 39.9002))"


def _key_file(tmp: Path) -> str:
    """A key file naming a hostile owner (refused: the key is not hex)."""
    (tmp / "key.json").write_bytes(orjson.dumps({"owner": f"org:{H}", "alg": "ed25519",
                                                 "public": f"zz{H}"}))
    return str(tmp / "key.json")


def test_no_command_lets_a_control_character_reach_the_terminal(tmp_path: Path) -> None:
    y, names = _hostile_project(tmp_path)
    calls = _calls(names, tmp_path)
    assert sorted(calls) == sorted(path for path, _ in leaves(cli)), "a command is not walked"
    shown: dict[tuple[str, ...], str] = {}
    for path, arg_lists in calls.items():
        for args in arg_lists:
            for extra in ([], ["--json"]):
                res = y.run(*path, *args, *extra)
                where = f"yitaotu {' '.join(path)} {args} {extra}: exit {res.exit_code}"
                assert "Traceback" not in res.output and res.exit_code != 70, \
                    f"{where}\n{res.output}"
                assert not RAW & set(res.output), f"{where}\n{res.output!r}"
                assert not [ln for ln in res.output.splitlines() if ln.startswith("FORGED")], \
                    f"{where}: a forged line\n{res.output}"
                if extra and res.exit_code == 0 and path != ("render",):
                    orjson.loads(res.stdout)  # still JSON
                elif not extra:
                    shown[path] = shown.get(path, "") + res.output
    for path in [("geo", "query"), ("exchange", "import"), ("exchange", "trust"),
                 ("opinion", "list"), ("user", "list"), ("ls",), ("log",), ("status",),
                 ("inbox",), ("project", "show"), ("change", "list"), ("diff",), ("org", "list"),
                 ("review", "diff"), ("unit", "show"), ("audit", "log"), ("meeting", "list"),
                 ("change", "show"), ("discipline", "list"), ("submission", "list")]:
        assert "\\x1b]0;owned\\x07" in shown[path], f"{path} did not show the hostile text"
    assert "\\r\\nFORGED\\u202eevil\\x9b31m\\x7f" in shown[("log",)]  # the reflog's message
    ops = y.json("opinion", "list", CODE)
    assert ops[0]["text"] == H  # type: ignore[index]  JSON keeps the exact text
